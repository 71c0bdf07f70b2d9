import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { ROOT } from './processes.js';
import { cleanRedis } from './env.js';

const run = promisify(execFile);
const SCRIPT = `${ROOT}scripts/redis-sentinel.sh`;

/** The setup `scripts/redis-sentinel.sh` starts (its defaults). */
export const SENTINELS = [26391, 26392, 26393].map((port) => ({ host: '127.0.0.1', port }));
export const SENTINEL_NAME = 'exam-relay';

/** The environment that makes an exam-relay process find Redis through those Sentinels. */
export const SENTINEL_ENV = {
  REDIS_SENTINELS: SENTINELS.map((s) => `${s.host}:${s.port}`).join(','),
  REDIS_SENTINEL_NAME: SENTINEL_NAME,
};

/** Runs `scripts/redis-sentinel.sh <command>`; rejects with its output when it fails. */
export async function sentinelScript(
  command: 'up' | 'down' | 'status' | 'failover',
): Promise<string> {
  try {
    const { stdout } = await run(SCRIPT, [command], { cwd: ROOT, timeout: 120_000 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`redis-sentinel.sh ${command} failed: ${e.message}\n${e.stdout}${e.stderr}`);
  }
}

/** Whether a Sentinel of the setup answers (someone brought it up before the suite). */
export async function sentinelsUp(): Promise<boolean> {
  const probe = new Redis({ ...SENTINELS[0], lazyConnect: true, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** A raw client of whichever node is primary now, for assertions (follows a failover). */
export function sentinelRedis(): Redis {
  return new Redis({ sentinels: SENTINELS, name: SENTINEL_NAME, maxRetriesPerRequest: 5 });
}

/** The port of the node the Sentinels name as primary. */
export async function primaryPort(): Promise<number> {
  const sentinel = new Redis(SENTINELS[0] ?? {});
  try {
    const reply = await sentinel.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_NAME);
    const port = Array.isArray(reply) ? reply[1] : undefined;
    return Number(port);
  } finally {
    sentinel.disconnect();
  }
}

/** Deletes every key of the namespace on the sentinel setup's primary. */
export function cleanSentinelRedis(namespace: string): Promise<void> {
  return cleanRedis(namespace, sentinelRedis);
}
