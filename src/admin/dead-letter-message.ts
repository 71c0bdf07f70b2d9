import { createHash } from 'node:crypto';
import type { Message } from 'amqplib';

/** A value that survives JSON.stringify unchanged. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One message of the dead-letter queue, as the admin shows it. */
export interface DeadLetter {
  /** Stable across browses: a hash of body, headers (minus x-delivery-count) and properties. */
  id: string;
  /** Why it was dead-lettered: the state manager's `x-relay-reason`, or the broker's x-death. */
  reason: string;
  /** Who dead-lettered it. */
  source: 'state-manager' | 'broker' | 'unknown';
  /** The queue it left, when known. */
  queue: string | null;
  /** When the broker dead-lettered it (x-death time); null when not recorded. */
  deadLetteredAt: string | null;
  /** A one-line reading of the body (`status_change S001 -> E001 STARTED (request m-1)`). */
  summary: string;
  /** The body: UTF-8 text, or base64 when it is not valid UTF-8. Cut at `MAX_BODY_BYTES`. */
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  bodyBytes: number;
  truncated: boolean;
  /** Deliveries from the dead-letter queue so far (each browse counts one on quorum queues). */
  deliveryCount: number;
  headers: Record<string, JsonValue>;
  properties: Record<string, JsonValue>;
}

/** Bodies longer than this are cut in listings (status_queue messages are far smaller). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Headers the broker changes while the message sits in the DLQ: left out of the id. */
const VOLATILE_HEADERS = new Set(['x-delivery-count']);

const PROPERTY_NAMES = [
  'contentType',
  'contentEncoding',
  'deliveryMode',
  'priority',
  'correlationId',
  'replyTo',
  'expiration',
  'messageId',
  'timestamp',
  'type',
  'userId',
  'appId',
] as const;

/** Reads a message got from the dead-letter queue. */
export function readDeadLetter(message: Message): DeadLetter {
  const raw = message.properties.headers ?? {};
  const headers = toJsonRecord(raw);
  const properties: Record<string, JsonValue> = {};
  for (const name of PROPERTY_NAMES) {
    const value: unknown = message.properties[name];
    if (value !== undefined && value !== null) properties[name] = toJson(value);
  }
  const cause = causeOf(headers);
  const text = decodeUtf8(message.content);
  const shown = message.content.subarray(0, MAX_BODY_BYTES);
  return {
    id: deadLetterId(message.content, headers, properties),
    ...cause,
    summary: summarize(text),
    body: text === undefined ? shown.toString('base64') : (decodeUtf8(shown) ?? text),
    bodyEncoding: text === undefined ? 'base64' : 'utf8',
    bodyBytes: message.content.length,
    truncated: message.content.length > MAX_BODY_BYTES,
    deliveryCount:
      typeof headers['x-delivery-count'] === 'number' ? headers['x-delivery-count'] : 0,
    headers,
    properties,
  };
}

/** The stable id of a dead letter: the same message gives the same id on every browse. */
export function deadLetterId(
  content: Buffer,
  headers: Record<string, JsonValue>,
  properties: Record<string, JsonValue>,
): string {
  const stable = Object.fromEntries(
    Object.entries(headers).filter(([name]) => !VOLATILE_HEADERS.has(name)),
  );
  return createHash('sha256')
    .update(content)
    .update('\0')
    .update(canonical({ headers: stable, properties }))
    .digest('hex')
    .slice(0, 24);
}

function causeOf(
  headers: Record<string, JsonValue>,
): Pick<DeadLetter, 'reason' | 'source' | 'queue' | 'deadLetteredAt'> {
  const relay = headers['x-relay-reason'];
  const sourceQueue = headers['x-relay-source-queue'];
  if (typeof relay === 'string') {
    return {
      reason: relay,
      source: 'state-manager',
      queue: typeof sourceQueue === 'string' ? sourceQueue : null,
      deadLetteredAt: null,
    };
  }
  const deaths = headers['x-death'];
  const death = Array.isArray(deaths) ? deaths[0] : undefined;
  if (death && typeof death === 'object' && !Array.isArray(death)) {
    const reason = typeof death.reason === 'string' ? death.reason : 'dead-lettered';
    const count =
      typeof death.count === 'number' && death.count > 1 ? ` (${death.count} times)` : '';
    return {
      reason: `${reason}${count}`,
      source: 'broker',
      queue: typeof death.queue === 'string' ? death.queue : null,
      deadLetteredAt: typeof death.time === 'string' ? death.time : null,
    };
  }
  return {
    reason: 'unknown (no x-relay-reason or x-death header)',
    source: 'unknown',
    queue: null,
    deadLetteredAt: null,
  };
}

/** A one-line reading of a status_queue message body, for the list. */
export function summarize(text: string | undefined): string {
  if (text === undefined) return 'binary body';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const record = (v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const message = record(value);
  if (!message) return 'JSON, not an object';
  const data = record(message.data);
  if (message.type === 'sync_state') {
    const servers = Object.keys(record(data?.servers) ?? {});
    return `sync_state (${servers.join(', ') || 'no servers'})`;
  }
  if (message.type !== 'route_message' || !data) return `JSON of type ${String(message.type)}`;
  const payload = record(data.payload) ?? {};
  const from = typeof data.sourceServer === 'string' ? ` from ${data.sourceServer}` : '';
  const s = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '?');
  switch (data.messageType) {
    case 'status_change': {
      const target =
        payload.targetExamineeId !== undefined
          ? s(payload.targetExamineeId)
          : `exam ${s(payload.examId)}`;
      return `status_change ${s(payload.supervisorId)} -> ${target} ${s(payload.status)} (request ${s(data.requestId)})${from}`;
    }
    case 'connect':
      return `connect ${s(payload.clientId)} (${s(payload.role)}, exam ${s(payload.examId)})${from}`;
    case 'disconnect':
      return `disconnect ${s(payload.clientId)}${from}`;
    default:
      return `route_message ${s(data.messageType)}${from}`;
  }
}

function decodeUtf8(buffer: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    return undefined;
  }
}

function toJsonRecord(value: Record<string, unknown>): Record<string, JsonValue> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
}

/**
 * AMQP field values as JSON: amqplib decodes timestamps as `{'!': 'timestamp', value}` (seconds),
 * byte arrays as Buffers and 64-bit integers as numbers.
 */
export function toJson(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return decodeUtf8(value) ?? value.toString('base64');
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const typed = value as { '!'?: unknown; value?: unknown };
    if (typed['!'] === 'timestamp' && typeof typed.value === 'number') {
      return new Date(typed.value * 1000).toISOString();
    }
    if (typed['!'] === 'decimal') return toJson(typed.value);
    return toJsonRecord(value as Record<string, unknown>);
  }
  return String(value);
}

/** JSON with object keys sorted, so equal values hash equally. */
function canonical(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k] ?? null)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
