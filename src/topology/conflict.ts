import { TopologyError } from '../shared/errors.js';

/** One property of an existing queue or exchange whose broker value differs from the file's. */
export interface TopologyConflict {
  entity: 'queue' | 'exchange';
  name: string;
  /**
   * As the broker names it: `durable`, `auto_delete`, `internal`, `type` (exchanges), `exclusive`
   * (a queue held exclusively by another connection) or an argument such as `x-delivery-limit`.
   */
  property: string;
  /** The value on the broker, as the broker printed it; null when it has none. */
  live: string | null;
  /** The value declared from the file, as the broker printed it; null when the file sets none. */
  file: string | null;
}

/** A value in a 406 reply, with its AMQP field type when the broker printed one. */
export interface ReplyValue {
  text: string;
  type?: string;
}

/** The parsed text of a 406 PRECONDITION_FAILED reply to an exchange or queue declare. */
export interface Inequivalence {
  entity: 'queue' | 'exchange';
  name: string;
  vhost: string;
  property: string;
  /** What we sent; null for the broker's `none`. */
  received: ReplyValue | null;
  /** What the broker has; null for the broker's `none`. */
  current: ReplyValue | null;
}

// RabbitMQ (rabbit_misc:assert_args_equivalence) prints a value three ways: `none` when one side
// lacks it, `the value 'V' of type 'T'` when only one side has it, and bare `'V'` when both
// have it. In the last form the types are left out even when they differ, so a string '3' and a
// number 3 read "received '3' but current is '3'".
const VALUE = String.raw`none|the value '.*?' of type '\w+'|'.*?'`;
const INEQUIVALENT = new RegExp(
  String.raw`inequivalent arg '([^']*)' for (queue|exchange) '(.*?)' in vhost '(.*?)': ` +
    String.raw`received (${VALUE}) but current is (${VALUE.replaceAll('?', '')})"?$`,
  's',
);

/**
 * Parses the broker's reply text (or amqplib's error message that wraps it) for an inequivalent
 * exchange or queue declare, e.g. `inequivalent arg 'x-delivery-limit' for queue 'status_queue'
 * in vhost '/': received the value '5' of type 'signedint' but current is none`. Undefined when
 * the text is not such a reply.
 */
export function parseInequivalence(text: string): Inequivalence | undefined {
  const match = INEQUIVALENT.exec(text);
  if (!match) return undefined;
  const [, property, entity, name, vhost, received, current] = match;
  if (property === undefined || name === undefined || vhost === undefined) return undefined;
  if (entity !== 'queue' && entity !== 'exchange') return undefined;
  return {
    entity,
    name,
    vhost,
    property,
    received: parseValue(received ?? 'none'),
    current: parseValue(current ?? 'none'),
  };
}

function parseValue(text: string): ReplyValue | null {
  if (text === 'none') return null;
  const typed = /^the value '(.*)' of type '(\w+)'$/s.exec(text);
  if (typed) return { text: typed[1] ?? '', type: typed[2] ?? '' };
  return { text: text.slice(1, -1) };
}

/** The conflict an inequivalence reports. */
export function toConflict(inequivalence: Inequivalence): TopologyConflict {
  return {
    entity: inequivalence.entity,
    name: inequivalence.name,
    property: inequivalence.property,
    live: inequivalence.current?.text ?? null,
    file: inequivalence.received?.text ?? null,
  };
}

/** `queue t1.status_queue: x-delivery-limit is 3 on the broker, 5 in the file`. */
export function formatConflict(conflict: TopologyConflict): string {
  const show = (value: string | null) => (value === null ? 'none' : value);
  const line =
    `${conflict.entity} ${conflict.name}: ${conflict.property} is ${show(conflict.live)} ` +
    `on the broker, ${show(conflict.file)} in the file`;
  // The broker leaves the types out when both sides have a value (see VALUE above).
  return conflict.live !== null && conflict.live === conflict.file
    ? `${line} (same text, different AMQP field types, e.g. string and number)`
    : line;
}

/** Thrown by `declareTopology` when existing entities conflict with the file; nothing was changed. */
export class TopologyConflictError extends TopologyError {
  constructor(readonly conflicts: TopologyConflict[]) {
    super(
      `the broker conflicts with the topology file (nothing was declared):\n` +
        conflicts.map((c) => `  ${formatConflict(c)}`).join('\n'),
    );
  }
}
