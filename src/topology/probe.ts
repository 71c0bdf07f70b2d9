import type { Channel, ChannelModel } from 'amqplib';
import { TopologyError } from '../shared/errors.js';
import {
  parseInequivalence,
  toConflict,
  type Inequivalence,
  type ReplyValue,
  type TopologyConflict,
} from './conflict.js';
import type { ArgValue, ResolvedExchange, ResolvedQueue } from './load.js';

/** What a probe found: the entity is absent, or present with zero or more conflicts. */
export type ProbeResult = { present: false } | { present: true; conflicts: TopologyConflict[] };

/** amqplib's way to send a value with an explicit AMQP field type. */
type TypedValue = { '!': string; value: number };
type FieldValue = ArgValue | TypedValue;

/** The declare-time properties the broker compares for equivalence. */
interface Shape {
  type: string;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: Record<string, FieldValue>;
}

/** An AMQP channel-close reply (404, 405, 406, …) as amqplib reports it. */
interface ReplyError extends Error {
  code: number;
}

// The broker reports one inequivalent property per declare; each round substitutes the live
// value and declares again to find the next. Bounded in case a substitution never takes.
const MAX_ROUNDS = 16;

/**
 * Checks an exchange without creating it: passive check, then, only if it exists, a declare with
 * the file's properties, which the broker treats as a no-op when they are equivalent. Every
 * operation runs on its own channel because a 404/405/406 closes the channel it happens on.
 * Between the two steps another client could delete the entity, and the declare would then
 * create it: AMQP has no "compare without creating", and the window is one round trip.
 */
export function probeExchange(
  model: ChannelModel,
  exchange: ResolvedExchange,
): Promise<ProbeResult> {
  return probe(
    model,
    'exchange',
    exchange.name,
    { ...exchange, arguments: { ...exchange.arguments } },
    (ch) => ch.checkExchange(exchange.name),
    (ch, s) =>
      ch.assertExchange(exchange.name, s.type, {
        durable: s.durable,
        autoDelete: s.autoDelete,
        internal: s.internal,
        arguments: s.arguments,
      }),
  );
}

/** Checks a queue without creating it; see `probeExchange`. */
export function probeQueue(model: ChannelModel, queue: ResolvedQueue): Promise<ProbeResult> {
  return probe(
    model,
    'queue',
    queue.name,
    { ...queue, type: '', internal: false, arguments: { ...queue.arguments } },
    (ch) => ch.checkQueue(queue.name),
    (ch, s) =>
      ch.assertQueue(queue.name, {
        durable: s.durable,
        autoDelete: s.autoDelete,
        arguments: s.arguments,
      }),
  );
}

/** Whether a queue exists (passive declare; a queue held exclusively elsewhere exists too). */
export async function queueExists(model: ChannelModel, name: string): Promise<boolean> {
  const failed = await attempt(model, (ch) => ch.checkQueue(name));
  if (!failed || failed.code === 405) return true;
  if (failed.code === 404) return false;
  throw unexpected('queue', name, failed);
}

async function probe(
  model: ChannelModel,
  entity: 'exchange' | 'queue',
  name: string,
  shape: Shape,
  check: (ch: Channel) => Promise<unknown>,
  assert: (ch: Channel, shape: Shape) => Promise<unknown>,
): Promise<ProbeResult> {
  const checked = await attempt(model, check);
  if (checked?.code === 404) return { present: false };
  // Passive declare of a queue that another connection holds exclusively.
  if (checked?.code === 405 && entity === 'queue') {
    return {
      present: true,
      conflicts: [{ entity, name, property: 'exclusive', live: 'true', file: 'false' }],
    };
  }
  if (checked) throw unexpected(entity, name, checked);

  const conflicts: TopologyConflict[] = [];
  let current = shape;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const failed = await attempt(model, (ch) => assert(ch, current));
    if (!failed) break;
    const inequivalence = failed.code === 406 ? parseInequivalence(failed.message) : undefined;
    // A substitute can be invalid on its own (e.g. a dead-letter routing key once the
    // dead-letter exchange is taken out: 406 "invalid arg"); what was found so far stands.
    if (!inequivalence && conflicts.length > 0) break;
    if (!inequivalence) throw unexpected(entity, name, failed);
    // The same property again means our substitute was not equivalent either (types the broker
    // did not print): it is reported once, and what lies behind it stays unseen.
    if (conflicts.some((c) => c.property === inequivalence.property)) break;
    conflicts.push(toConflict(inequivalence));
    const next = substitute(current, inequivalence);
    if (!next) break;
    current = next;
  }
  return { present: true, conflicts };
}

/** Runs `fn` on a channel of its own; resolves with the reply error that closed it, if any. */
async function attempt(
  model: ChannelModel,
  fn: (ch: Channel) => Promise<unknown>,
): Promise<ReplyError | undefined> {
  const ch = await model.createChannel();
  let closed = false;
  ch.once('close', () => {
    closed = true;
  });
  // The broker closes the channel on 404/405/406 and amqplib also emits the reply as 'error';
  // without a listener that would be an uncaught exception. The rejected call below reports it.
  ch.on('error', () => undefined);
  try {
    await fn(ch);
    return undefined;
  } catch (err) {
    if (isReplyError(err)) return err;
    throw err;
  } finally {
    // amqplib has moved the channel to closed before the rejection reaches us.
    if (!closed) await ch.close();
  }
}

function isReplyError(err: unknown): err is ReplyError {
  return err instanceof Error && typeof (err as Partial<ReplyError>).code === 'number';
}

function unexpected(entity: string, name: string, err: ReplyError): TopologyError {
  return new TopologyError(`checking ${entity} ${name} failed: ${err.message}`, { cause: err });
}

/** The shape with the property set to the broker's value, or undefined if it cannot be. */
function substitute(shape: Shape, { property, current }: Inequivalence): Shape | undefined {
  if (property === 'durable' || property === 'auto_delete' || property === 'internal') {
    if (current?.text !== 'true' && current?.text !== 'false') return undefined;
    const key = property === 'auto_delete' ? 'autoDelete' : property;
    return { ...shape, [key]: current.text === 'true' };
  }
  if (property === 'type') return current ? { ...shape, type: current.text } : undefined;
  const args = { ...shape.arguments };
  if (current === null) {
    delete args[property];
  } else {
    const value = fieldValue(current, args[property]);
    if (value === undefined) return undefined;
    args[property] = value;
  }
  return { ...shape, arguments: args };
}

const INTEGER_TYPES = new Set([
  'byte',
  'short',
  'signedint',
  'long',
  'unsignedbyte',
  'unsignedshort',
  'unsignedint',
]);

/**
 * The broker's value as something amqplib encodes in the same type class (the broker treats all
 * integer widths as equivalent, likewise float and double).
 */
function fieldValue(live: ReplyValue, ours: FieldValue | undefined): FieldValue | undefined {
  const number = Number(live.text);
  const isNumber = live.text.trim() !== '' && Number.isFinite(number);
  if (live.type !== undefined) {
    if (INTEGER_TYPES.has(live.type)) return Number.isInteger(number) ? number : undefined;
    if (live.type === 'double' || live.type === 'float') {
      return isNumber ? { '!': 'double', value: number } : undefined;
    }
    if (live.type === 'bool') return live.text === 'true';
    if (live.type === 'longstr') return live.text;
    return undefined;
  }
  // Untyped: both sides had a value; assume the broker's has our type when its text allows.
  if (typeof ours === 'number') return isNumber ? number : live.text;
  if (typeof ours === 'boolean' && (live.text === 'true' || live.text === 'false')) {
    return live.text === 'true';
  }
  return live.text;
}
