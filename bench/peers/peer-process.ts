import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AMQP_URL, REDIS_URL } from '../../test/helpers/env.js';
import { ROOT, RoleProcess, TEST_SECRET, freePort } from '../../test/helpers/processes.js';

/**
 * Starts one of the peers' processes (a file of bench/peers/, run by tsx) with an inspector on
 * a random local port, as exam-relay's roles are, so the same probe reads its memory. Resolves
 * once it logs `{"ready":port}`.
 */
export async function startPeer(
  name: string,
  file: string,
  env: Record<string, string>,
  portVariable: string,
): Promise<{ process: RoleProcess; port: number }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--inspect=127.0.0.1:0', '--import', 'tsx', fileURLToPath(new URL(file, import.meta.url))],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AMQP_URL,
        REDIS_URL,
        AUTH_SECRET: TEST_SECRET,
        [portVariable]: String(port),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const proc = new RoleProcess(child, name);
  await proc.waitForLog((line) => line.ready === port, 30_000);
  return { process: proc, port };
}
