import { Registry } from 'prom-client';
import { metricsOn } from '../shared/metrics.js';

export type AdminMetrics = ReturnType<typeof createAdminMetrics>;

/** The admin process's own metrics, on their own registry (served at GET /metrics). */
export function createAdminMetrics(registry = new Registry()) {
  const m = metricsOn(registry, 'exam_relay_admin_');
  return {
    registry,
    requests: m.counter(
      'exam_relay_admin_http_requests_total',
      'Admin HTTP requests, by route and status code',
      ['route', 'status'] as const,
    ),
    authFailures: m.counter(
      'exam_relay_admin_auth_failures_total',
      'Requests refused for a missing or wrong ADMIN_TOKEN',
    ),
    streams: m.gauge(
      'exam_relay_admin_event_streams',
      'Open server-sent event streams (pages watching live)',
    ),
    actions: m.counter(
      'exam_relay_admin_dead_letter_actions_total',
      'Dead letters replayed or discarded through the admin, by action',
      ['action'] as const,
    ),
    queueMessages: m.gauge(
      'exam_relay_admin_queue_messages',
      'Messages in a queue at the last sample (status_queue, its DLQ, server queues)',
      ['queue'] as const,
    ),
    syncStates: m.counter(
      'exam_relay_admin_sync_states_total',
      'sync_state broadcasts received, by result (ok or invalid)',
      ['result'] as const,
    ),
    lastSyncState: m.gauge(
      'exam_relay_admin_last_sync_state_timestamp_seconds',
      'Unix time of the last valid sync_state broadcast (alert on time() minus this)',
    ),
  };
}
