import { Registry } from 'prom-client';
import { metricsOn } from '../shared/metrics.js';
import { AckTimer } from './ack-timer.js';

export type ServerMetrics = ReturnType<typeof createServerMetrics>;

/** A socket server's metrics, on their own registry (served at GET /metrics). */
export function createServerMetrics(registry = new Registry()) {
  const m = metricsOn(registry, 'exam_relay_server_');
  const ackSeconds = m.histogram(
    'exam_relay_ack_seconds',
    "End-to-end ack time: from this server receiving a supervisor's status_change to sending its ack",
    // A change is stored, routed and confirmed before its ack: milliseconds when healthy, up to
    // the confirm timeout (10 s) and beyond while a broker or Redis recovers.
    [0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  const framesOut = m.tally(
    'exam_relay_frames_out_total',
    'Frames sent to clients, by type',
    'type',
  );
  return {
    registry,
    ackSeconds,
    framesOut: framesOut.counter,
    /** Counts one frame of `type` sent (per frame, on the hot path). */
    frameSent: framesOut.count,
    /** Times each supervisor request from receipt (socket.ts) to ack (deliver.ts). */
    ackTimer: new AckTimer({ observe: (seconds) => ackSeconds.observe(seconds) }),
    connections: m.gauge('exam_relay_connections', 'Authenticated WebSocket connections, by role', [
      'role',
    ] as const),
    framesIn: m.counter(
      'exam_relay_frames_in_total',
      'Frames received from clients, by type (invalid for unparseable ones)',
      ['type'] as const,
    ),
    closes: m.counter(
      'exam_relay_closes_total',
      'Connections closed by the server, by close code',
      ['code'] as const,
    ),
    confirmSeconds: m.histogram(
      'exam_relay_publish_confirm_seconds',
      'Time from publish to broker confirm for status_queue messages',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    ),
    deliverySeconds: m.histogram(
      'exam_relay_status_change_latency_seconds',
      'Time from a status change being accepted by a server to its frames being sent here (once per change and server)',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    ),
    replayed: m.counter(
      'exam_relay_replayed_frames_total',
      'status_change frames sent from history (resume or gap fill)',
    ),
    duplicatesDropped: m.counter(
      'exam_relay_duplicate_frames_dropped_total',
      'Routed frames dropped because the client already had that seq',
    ),
  };
}
