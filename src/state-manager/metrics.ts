import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type StateManagerMetrics = ReturnType<typeof createStateManagerMetrics>;

/** The state manager's metrics, on their own registry. */
export function createStateManagerMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: 'exam_relay_state_manager_' });
  return {
    registry,
    messages: new Counter({
      name: 'exam_relay_status_queue_messages_total',
      help: 'status_queue messages handled, by message type and result',
      labelNames: ['type', 'result'] as const,
      registers: [registry],
    }),
    statusChanges: new Counter({
      name: 'exam_relay_status_changes_total',
      help: 'Status changes applied, or answered again for a repeated request id',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'exam_relay_duplicate_requests_total',
      help: 'Status changes whose request id was already applied',
      registers: [registry],
    }),
    routedPublishes: new Counter({
      name: 'exam_relay_routed_publishes_total',
      help: 'Messages routed to server queues, by message type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    redeliveries: new Counter({
      name: 'exam_relay_redeliveries_total',
      help: 'status_queue messages delivered more than once',
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'exam_relay_dead_letters_total',
      help: 'Messages the state manager dead-lettered, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    retries: new Counter({
      name: 'exam_relay_state_manager_retries_total',
      help: 'Handler retries after a transient Redis or broker failure',
      registers: [registry],
    }),
    handleSeconds: new Histogram({
      name: 'exam_relay_state_manager_handle_seconds',
      help: 'Time from delivery to ack of a status_queue message',
      labelNames: ['type'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}
