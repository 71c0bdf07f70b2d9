import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export type AdminMetrics = ReturnType<typeof createAdminMetrics>;

/** The admin process's own metrics, on their own registry (served at GET /metrics). */
export function createAdminMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: 'exam_relay_admin_' });
  return {
    registry,
    requests: new Counter({
      name: 'exam_relay_admin_http_requests_total',
      help: 'Admin HTTP requests, by route and status code',
      labelNames: ['route', 'status'] as const,
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'exam_relay_admin_auth_failures_total',
      help: 'Requests refused for a missing or wrong ADMIN_TOKEN',
      registers: [registry],
    }),
    streams: new Gauge({
      name: 'exam_relay_admin_event_streams',
      help: 'Open server-sent event streams (pages watching live)',
      registers: [registry],
    }),
    actions: new Counter({
      name: 'exam_relay_admin_dead_letter_actions_total',
      help: 'Dead letters replayed or discarded through the admin, by action',
      labelNames: ['action'] as const,
      registers: [registry],
    }),
    queueMessages: new Gauge({
      name: 'exam_relay_admin_queue_messages',
      help: 'Messages in a queue at the last sample (status_queue, its DLQ, server queues)',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    syncStates: new Counter({
      name: 'exam_relay_admin_sync_states_total',
      help: 'sync_state broadcasts received, by result (ok or invalid)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    lastSyncState: new Gauge({
      name: 'exam_relay_admin_last_sync_state_timestamp_seconds',
      help: 'Unix time of the last valid sync_state broadcast (alert on time() minus this)',
      registers: [registry],
    }),
  };
}
