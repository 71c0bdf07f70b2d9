import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { AckTimer } from './ack-timer.js';

export type ServerMetrics = ReturnType<typeof createServerMetrics>;

/** A socket server's metrics, on their own registry (served at GET /metrics). */
export function createServerMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: 'exam_relay_server_' });
  const ackSeconds = new Histogram({
    name: 'exam_relay_ack_seconds',
    help: "End-to-end ack time: from this server receiving a supervisor's status_change to sending its ack",
    // A change is stored, routed and confirmed before its ack: milliseconds when healthy, up to
    // the confirm timeout (10 s) and beyond while a broker or Redis recovers.
    buckets: [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return {
    registry,
    ackSeconds,
    /** Times each supervisor request from receipt (socket.ts) to ack (deliver.ts). */
    ackTimer: new AckTimer({ observe: (seconds) => ackSeconds.observe(seconds) }),
    connections: new Gauge({
      name: 'exam_relay_connections',
      help: 'Authenticated WebSocket connections, by role',
      labelNames: ['role'] as const,
      registers: [registry],
    }),
    framesIn: new Counter({
      name: 'exam_relay_frames_in_total',
      help: 'Frames received from clients, by type (invalid for unparseable ones)',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    framesOut: new Counter({
      name: 'exam_relay_frames_out_total',
      help: 'Frames sent to clients, by type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    closes: new Counter({
      name: 'exam_relay_closes_total',
      help: 'Connections closed by the server, by close code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    confirmSeconds: new Histogram({
      name: 'exam_relay_publish_confirm_seconds',
      help: 'Time from publish to broker confirm for status_queue messages',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    deliverySeconds: new Histogram({
      name: 'exam_relay_status_change_latency_seconds',
      help: 'Time from a status change being accepted by a server to its frame being sent here',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    replayed: new Counter({
      name: 'exam_relay_replayed_frames_total',
      help: 'status_change frames sent from history (resume or gap fill)',
      registers: [registry],
    }),
    duplicatesDropped: new Counter({
      name: 'exam_relay_duplicate_frames_dropped_total',
      help: 'Routed frames dropped because the client already had that seq',
      registers: [registry],
    }),
  };
}
