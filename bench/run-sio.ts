import { cleanRedis, randomNamespace } from '../test/helpers/env.js';
import type { RoleProcess } from '../test/helpers/processes.js';
import type { BenchConfig } from './config.js';
import { startPeer } from './peers/peer-process.js';
import { RoleProbe } from './role-probe.js';
import { runPhases } from './phases.js';
import type { SystemResult } from './report.js';
import { runScale, type ScaleServer } from './scale.js';
import { SioFleet } from './sio-fleet.js';
import { SioTarget } from './sio-target.js';
import { sleep } from './stats.js';

/**
 * The Socket.IO 4 + redis-adapter peer (bench/peers/sio-server.ts) as two server processes,
 * under the same targeted load and scale patterns as exam-relay. Its keys are removed after.
 */
export async function runSio(
  config: BenchConfig,
  shared: Record<string, number[]>,
): Promise<SystemResult> {
  const namespace = `bench${randomNamespace()}`;
  const servers: { name: string; process: RoleProcess; port: number }[] = [];
  const target = new SioTarget();
  let probe: RoleProbe | undefined;
  try {
    console.log(`socket.io: starting two servers (namespace ${namespace})`);
    for (const name of ['sioA', 'sioB']) {
      const peer = await startPeer(
        name,
        './sio-server.ts',
        { SIO_KEY_PREFIX: `${namespace}:` },
        'SIO_PORT',
      );
      servers.push({ name, ...peer });
    }
    const [a, b] = servers;
    if (!a || !b) throw new Error('servers not started');
    probe = await RoleProbe.attach(new Map(servers.map((s) => [s.name, s.process])));
    await target.connect({
      examineePort: a.port,
      supervisorPort: b.port,
      examinees: config.BENCH_EXAMINEES,
      supervisors: config.BENCH_SUPERVISORS,
    });
    await sleep(500);
    const pids: Record<string, number[]> = {};
    for (const s of servers) pids[s.name] = s.process.child.pid ? [s.process.child.pid] : [];
    // Socket.IO uses Redis only: RabbitMQ's CPU is someone else's here.
    const phases = await runPhases(target, config, { ...pids, redis: shared.redis ?? [] });
    const duplicated = target.duplicated;
    target.close();
    await sleep(500);

    const live = probe;
    const scaleServer = (s: { name: string; process: RoleProcess; port: number }) => ({
      name: s.name,
      port: s.port,
      kill: () => void s.process.child.kill('SIGKILL'),
    });
    const scaleServers: [ScaleServer, ScaleServer] = [scaleServer(a), scaleServer(b)];
    const scale = await runScale(
      {
        fleet: new SioFleet(),
        servers: scaleServers,
        // Nothing queues behind a Socket.IO server: a short pause lets the sockets settle.
        settle: () => sleep(500),
        readMemory: () => live.read(),
      },
      config,
    );
    return {
      name: 'socket.io',
      ...phases,
      scale,
      integrity: { targeted: { duplicated, reordered: 0, gaps: 0 } },
      notes: { namespace },
    };
  } finally {
    probe?.close();
    target.close();
    await Promise.allSettled(servers.map((s) => s.process.stop()));
    await cleanRedis(namespace);
  }
}
