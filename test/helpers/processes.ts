import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadTopologyFile } from '../../src/topology/load.js';
import { AMQP_URL, REDIS_URL, cleanBroker, cleanRedis } from './env.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The deployment's topology file, the one every test process is given. */
export const TOPOLOGY_FILE = `${ROOT}topology/topology.yaml`;
const BIN = fileURLToPath(new URL('../../bin/exam-relay.js', import.meta.url));

/** A 32-byte secret for tests. */
export const TEST_SECRET = 'test-secret-0123456789abcdef0123456789abcdef';
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/** One `exam-relay` process with its JSON log lines collected. */
export class RoleProcess {
  readonly lines: Record<string, unknown>[] = [];
  readonly stderr: string[] = [];
  private readonly exited: Promise<number | null>;

  constructor(
    readonly child: ChildProcess,
    readonly name: string,
  ) {
    let buffer = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.stderr.push(line);
        }
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Resolves when a log line matches, or rejects after `timeoutMs`. */
  async waitForLog(
    predicate: (line: Record<string, unknown>) => boolean,
    timeoutMs = 15_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.lines.some(predicate)) return;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(
      `${this.name}: expected log line not seen (exit ${this.child.exitCode});\n${this.tail()}`,
    );
  }

  tail(n = 20): string {
    return [...this.lines.slice(-n).map((l) => JSON.stringify(l)), ...this.stderr.slice(-n)].join(
      '\n',
    );
  }

  /** Sends a signal and waits for exit; returns the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  wait(): Promise<number | null> {
    return this.exited;
  }
}

export interface RoleEnv {
  namespace: string;
  extra?: Record<string, string>;
}

/** The environment a test role runs with. */
export function roleEnv({ namespace, extra = {} }: RoleEnv): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AMQP_URL,
    REDIS_URL,
    RELAY_NAMESPACE: namespace,
    AUTH_SECRET: TEST_SECRET,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    LOG_LEVEL: 'info',
    TOPOLOGY_FILE,
    ...extra,
  };
}

/** Runs `exam-relay <args>` to completion; returns exit code and output. */
export function runCommand(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts a long-running `exam-relay` role. */
export function startRole(name: string, args: string[], env: NodeJS.ProcessEnv): RoleProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env,
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new RoleProcess(child, name);
}

/** Runs `exam-relay topology declare`; throws with its output if it fails. */
export async function declareTopology(env: NodeJS.ProcessEnv): Promise<void> {
  const declared = await runCommand(['topology', 'declare'], env);
  if (declared.code !== 0)
    throw new Error(`topology declare failed: ${declared.stderr}${declared.stdout}`);
}

/**
 * Starts socket server `id` on `port` and waits until its /readyz answers 200; a server that
 * never gets ready is stopped before the error is thrown.
 */
export async function startServer(
  id: string,
  port: number,
  env: NodeJS.ProcessEnv,
): Promise<{ process: RoleProcess; port: number }> {
  const proc = startRole(id, ['server', '--id', id, '--port', String(port)], env);
  try {
    await waitForHttp(`http://127.0.0.1:${port}/readyz`);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { process: proc, port };
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `GET url` until it answers `status`. */
export async function waitForHttp(url: string, status = 200, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status === status) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`);
}

/**
 * Deletes what a namespace's cluster left behind: the topology file's queues and exchanges,
 * the named servers' queues, and every Redis key of the namespace.
 */
export async function cleanNamespace(
  namespace: string,
  serverIds: Iterable<string>,
): Promise<void> {
  const topology = await loadTopologyFile(TOPOLOGY_FILE, namespace);
  await cleanBroker({
    queues: [
      ...topology.queues.map((q) => q.name),
      ...[...serverIds].map((id) => topology.serverQueue(id).name),
    ],
    exchanges: topology.exchanges.map((e) => e.name),
  });
  await cleanRedis(namespace);
}
