import { Registry } from 'prom-client';
import { metricsOn } from '../shared/metrics.js';

export type StateManagerMetrics = ReturnType<typeof createStateManagerMetrics>;

/** The state manager's metrics, on their own registry. */
export function createStateManagerMetrics(registry = new Registry()) {
  const m = metricsOn(registry, 'exam_relay_state_manager_');
  return {
    registry,
    messages: m.counter(
      'exam_relay_status_queue_messages_total',
      'status_queue messages handled, by message type and result',
      ['type', 'result'] as const,
    ),
    statusChanges: m.counter(
      'exam_relay_status_changes_total',
      'Status changes applied, or answered again for a repeated request id',
      ['outcome'] as const,
    ),
    duplicates: m.counter(
      'exam_relay_duplicate_requests_total',
      'Status changes whose request id was already applied',
    ),
    routedPublishes: m.counter(
      'exam_relay_routed_publishes_total',
      'Messages routed to server queues, by message type',
      ['type'] as const,
    ),
    redeliveries: m.counter(
      'exam_relay_redeliveries_total',
      'status_queue messages delivered more than once',
    ),
    deadLetters: m.counter(
      'exam_relay_dead_letters_total',
      'Messages the state manager dead-lettered, by reason',
      ['reason'] as const,
    ),
    retries: m.counter(
      'exam_relay_state_manager_retries_total',
      'Handler retries after a transient Redis or broker failure',
    ),
    handleSeconds: m.histogram(
      'exam_relay_state_manager_handle_seconds',
      'Time from delivery to ack of a status_queue message',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      ['type'] as const,
    ),
  };
}
