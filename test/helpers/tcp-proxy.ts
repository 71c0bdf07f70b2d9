import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A small TCP proxy for fault tests, in the way toxiproxy works: forwards 127.0.0.1:port to
 * an upstream, and can cut every connection (refusing new ones while down) or stall them
 * (sockets stay open, bytes stop flowing) until restored.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<[Socket, Socket]>();
  private mode: 'up' | 'down' | 'stalled' = 'up';
  port = 0;

  constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {}

  async start(): Promise<number> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  /** Drops every connection; new ones are refused until `restore()`. */
  cut(): void {
    this.mode = 'down';
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  /** Keeps connections open but stops forwarding in both directions. */
  stall(): void {
    this.mode = 'stalled';
    for (const [a, b] of this.pairs) {
      a.pause();
      b.pause();
    }
  }

  restore(): void {
    const wasStalled = this.mode === 'stalled';
    this.mode = 'up';
    if (wasStalled) {
      for (const [a, b] of this.pairs) {
        a.resume();
        b.resume();
      }
    }
  }

  get connections(): number {
    return this.pairs.size;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private accept(client: Socket): void {
    if (this.mode === 'down') {
      client.destroy();
      return;
    }
    const upstream = connect(this.upstreamPort, this.upstreamHost);
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    // After pipe(), which resumes a paused source: pausing first would let a connection made
    // during a stall flow freely.
    if (this.mode === 'stalled') {
      client.pause();
      upstream.pause();
    }
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  }
}

/**
 * A started proxy in front of the service at `serviceUrl` (`defaultPort` when the URL names
 * none), and that URL rewritten to go through it.
 */
export async function proxyOf(
  serviceUrl: string,
  defaultPort: number,
): Promise<{ proxy: TcpProxy; url: URL }> {
  const upstream = new URL(serviceUrl);
  const proxy = new TcpProxy(upstream.hostname, Number(upstream.port || defaultPort));
  await proxy.start();
  const url = new URL(serviceUrl);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return { proxy, url };
}
