import WebSocket from 'ws';

export interface Frame {
  type: string;
  [key: string]: unknown;
}

/** How a frame sent as binary is recorded. */
const BINARY_FRAME = 'binary frame';

/** A raw WebSocket test client that records every frame and the close code. */
export class TestClient {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
    ws.on('error', () => undefined);
    // Every server frame is JSON text (SPEC §5): a binary one is recorded as such and fails
    // the next wait, whatever it waits for.
    ws.on('message', (data, isBinary) =>
      this.frames.push(isBinary ? { type: BINARY_FRAME } : (JSON.parse(data.toString()) as Frame)),
    );
  }

  static async connect(port: number, options: { origin?: string } = {}): Promise<TestClient> {
    const client = new TestClient(
      new WebSocket(`ws://127.0.0.1:${port}/ws`, options.origin ? { origin: options.origin } : {}),
    );
    await client.opened;
    return client;
  }

  /** Connects, says hello and waits for welcome. */
  static async login(port: number, token: string, resume?: number): Promise<TestClient> {
    const client = await TestClient.connect(port);
    client.send({
      type: 'hello',
      token,
      ...(resume !== undefined ? { resume: { lastSeq: resume } } : {}),
    });
    await client.next((f) => f.type === 'welcome');
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }
  /** Sends a `status_change` request: `data` names the target and the status. */
  change(id: string, data: Record<string, unknown>): void {
    this.send({ type: 'status_change', id, data });
  }

  /** The first recorded frame (old or new) matching, waiting up to `timeoutMs`. */
  async next(predicate: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.frames.some((f) => f.type === BINARY_FRAME)) {
        throw new Error('the server sent a binary frame; every frame must be text');
      }
      const found = this.frames.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Waits until `count` frames match. */
  async count(
    predicate: (f: Frame) => boolean,
    count: number,
    timeoutMs = 10_000,
  ): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.filter(predicate);
      if (found.length >= count) return found;
      if (Date.now() > deadline)
        throw new Error(`saw ${found.length}/${count} matching frames in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  of(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  close(): void {
    this.ws.close();
  }
}
