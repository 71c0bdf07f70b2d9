import { signToken } from '../src/protocol/index.js';
import { TEST_SECRET } from '../test/helpers/processes.js';
import WebSocket from 'ws';
import type { BenchConfig } from './config.js';
import { startPeer } from './peers/peer-process.js';
import { RoleProbe, summarizeMemory, type ProcessMemory } from './role-probe.js';
import { sleep } from './stats.js';

/**
 * The memory floor: a bare `ws` server (bench/peers/ws-floor-server.ts) holding as many
 * authenticated sockets as each exam-relay server holds in the scale patterns.
 */
export async function runFloor(config: BenchConfig): Promise<ProcessMemory | undefined> {
  const n = config.BENCH_STORM_EXAMINEES;
  const peer = await startPeer('ws-floor', './ws-floor-server.ts', {}, 'WS_PORT');
  const probe = await RoleProbe.attach(new Map([['ws-floor', peer.process]]));
  const sockets: WebSocket[] = [];
  try {
    console.log(`ws floor: ${n} authenticated sockets on a bare ws server`);
    await sleep(500);
    const start = (await probe.read())['ws-floor'];
    for (let i = 0; i < n; i += config.BENCH_STORM_BATCH) {
      const batch = Array.from({ length: Math.min(config.BENCH_STORM_BATCH, n - i) }, (_, j) =>
        login(peer.port, `EF${String(i + j).padStart(5, '0')}`),
      );
      sockets.push(...(await Promise.all(batch)));
    }
    await sleep(1000);
    const idle = (await probe.read())['ws-floor'];
    return start && idle ? summarizeMemory({ start, idle, after: idle }, n) : undefined;
  } finally {
    probe.close();
    for (const ws of sockets) ws.terminate();
    await peer.process.stop();
  }
}

async function login(port: number, clientId: string): Promise<WebSocket> {
  const token = await signToken(TEST_SECRET, { clientId, role: 'examinee', examId: 'EXAMF' }, 3600);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${clientId}: no welcome in 20 s`)), 20_000);
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', token })));
    ws.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return ws;
}
