import WebSocket from 'ws';
import type { RoleProcess } from '../test/helpers/processes.js';
import { sleep } from './stats.js';

/**
 * A Chrome DevTools Protocol session with a role started with `--inspect=127.0.0.1:0`: collects
 * garbage and reads V8's heap usage, so memory per connection is measured on live objects
 * rather than on whatever garbage the last GC left behind; and CPU-profiles on request.
 */
export class Inspector {
  private nextId = 1;
  private readonly waiting = new Map<number, (result: unknown) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const reply = JSON.parse(String(data)) as { id?: number; result?: unknown };
      if (reply.id === undefined) return;
      this.waiting.get(reply.id)?.(reply.result);
      this.waiting.delete(reply.id);
    });
  }

  /** Finds the inspector URL node printed on the role's stderr and connects to it. */
  static async attach(proc: RoleProcess, timeoutMs = 10_000): Promise<Inspector> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const url = /Debugger listening on (ws:\/\/\S+)/.exec(proc.stderr.join(''))?.[1];
      if (url) {
        const ws = new WebSocket(url, { perMessageDeflate: false });
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
        return new Inspector(ws);
      }
      if (Date.now() > deadline) throw new Error(`${proc.name}: no inspector URL on stderr`);
      await sleep(50);
    }
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Full GC, then V8's used heap in bytes. */
  async heapUsedAfterGc(): Promise<number> {
    await this.call('HeapProfiler.collectGarbage');
    const usage = (await this.call('Runtime.getHeapUsage')) as { usedSize: number };
    return usage.usedSize;
  }

  async startProfiling(): Promise<void> {
    await this.call('Profiler.enable');
    await this.call('Profiler.start');
  }

  /** The profile since `startProfiling`, in the `.cpuprofile` format DevTools opens. */
  async stopProfiling(): Promise<unknown> {
    const { profile } = (await this.call('Profiler.stop')) as { profile: unknown };
    return profile;
  }

  close(): void {
    this.ws.close();
  }
}
