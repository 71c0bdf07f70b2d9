// fast-check arbitraries of valid frames and bus messages, of hostile variations of them,
// and of arbitrary text, for the parser and consumer fuzz tests.
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const STATUSES = ['READY', 'STARTED', 'PAUSED', 'RESUMED', 'ENDED', 'TERMINATED'] as const;

export const clientId = fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/);
export const serverId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
export const requestId = fc.stringMatching(/^[\x21-\x7e]{1,64}$/);
export const status = fc.constantFrom(...STATUSES);
export const timestamp = fc
  .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
  .map((d) => d.toISOString());
const seq = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

// ---- client frames ----------------------------------------------------------------------

export const hello = fc.record(
  {
    type: fc.constant('hello'),
    token: fc.string({ minLength: 1, maxLength: 200 }),
    resume: fc.record({ lastSeq: fc.nat({ max: Number.MAX_SAFE_INTEGER }) }),
  },
  { requiredKeys: ['type', 'token'] },
);

export const statusChangeRequest = (exam = clientId) =>
  fc.record({
    type: fc.constant('status_change'),
    id: requestId,
    data: fc.oneof(
      fc.record({ targetExamineeId: clientId, status }),
      fc.record({ examId: exam, status }),
    ),
  });

export const validClientFrame = fc.oneof(hello, statusChangeRequest());

/** Keys any client frame may have; an added key outside this set must be refused. */
export const CLIENT_KEYS = new Set([
  'type',
  'token',
  'resume',
  'lastSeq',
  'id',
  'data',
  'targetExamineeId',
  'examId',
  'status',
]);

// ---- bus messages -----------------------------------------------------------------------

/** A `route_message` of one kind to `target` (the state manager, or any server). */
const route =
  (target: fc.Arbitrary<string>) =>
  <P, E extends Record<string, fc.Arbitrary<unknown>>>(
    messageType: string,
    payload: fc.Arbitrary<P>,
    extra: E,
  ) =>
    fc.record({
      type: fc.constant('route_message'),
      data: fc.record({
        sourceServer: serverId,
        targetServer: target,
        messageType: fc.constant(messageType),
        payload,
        ...extra,
      }),
    });

const toStateManager = route(fc.constant('state-manager'));

export const syncState = fc.record({
  type: fc.constant('sync_state'),
  data: fc.record({
    servers: fc.dictionary(
      serverId,
      fc.record({
        connections: fc.array(clientId, { maxLength: 5 }),
        status: fc.constantFrom('ACTIVE', 'DOWN'),
      }),
      { maxKeys: 3 },
    ),
    timestamp,
  }),
});

/** A connect's or disconnect's payload: one client's connection on one server. */
const link = fc.record({
  clientId,
  role: fc.constantFrom('supervisor', 'examinee'),
  examId: clientId,
  connId: fc.uuid({ version: 4 }),
  timestamp,
});

/** A client's command as a server puts it on status_queue. */
const clientCommand = fc.oneof(
  toStateManager(
    'status_change',
    fc.record(
      { supervisorId: clientId, examId: clientId, targetExamineeId: clientId, status, timestamp },
      { requiredKeys: ['supervisorId', 'examId', 'status', 'timestamp'] },
    ),
    { requestId },
  ),
  toStateManager('connect', link, {}),
  toStateManager('disconnect', link, {}),
);

/** What one server put on one partition in one turn. */
const commandBatch = fc.record({
  type: fc.constant('route_message'),
  data: fc.record({
    sourceServer: serverId,
    targetServer: fc.constant('state-manager'),
    messageType: fc.constant('batch'),
    messages: fc.array(
      clientCommand.map((m) => m.data),
      { minLength: 1, maxLength: 3 },
    ),
  }),
});

export const validStatusQueueMessage = fc.oneof(
  clientCommand,
  commandBatch,
  toStateManager('tick', fc.record({ timestamp }), {}),
  syncState,
);

const toServer = route(serverId);

const ids = fc.array(clientId, { maxLength: 4 });

/** One message for a server's queue, not a batch. */
const singleServerRoute = fc.oneof(
  toServer(
    'status_change',
    fc.record(
      { supervisorId: clientId, targetExamineeId: clientId, examId: clientId, status, timestamp },
      { requiredKeys: ['supervisorId', 'status', 'timestamp'] },
    ),
    {
      requestId,
      examId: clientId,
      epoch: fc.constantFrom('e1', 'k3f9'),
      supervisorSeq: seq,
      deliveries: fc.array(fc.record({ clientId, seq }), { maxLength: 4 }),
    },
  ),
  toServer(
    'ack',
    fc.record({
      supervisorId: clientId,
      status,
      examinees: ids,
      delivered: ids,
      pending: ids,
      timestamp,
    }),
    { requestId },
  ),
  toServer(
    'error',
    fc.record({
      clientId,
      code: fc.constantFrom('INVALID_MESSAGE', 'UNAUTHORIZED', 'FORBIDDEN', 'UNAVAILABLE'),
      message: fc.string({ maxLength: 100 }),
    }),
    { requestId },
  ),
  toServer('presence', fc.record({ clientId, online: fc.boolean(), serverId }), {
    examId: clientId,
  }),
  toServer(
    'connected',
    fc.record({ clientId, seq: fc.nat(), epoch: fc.constantFrom('e1', 'k3f9') }),
    {},
  ),
);

/** What the state manager routed to one server in one turn. */
const batch = fc.record({
  type: fc.constant('route_message'),
  data: fc.record({
    sourceServer: serverId,
    targetServer: serverId,
    messageType: fc.constant('batch'),
    messages: fc.array(
      singleServerRoute.map((m) => m.data),
      { minLength: 1, maxLength: 3 },
    ),
  }),
});

export const validServerQueueMessage = fc.oneof(singleServerRoute, batch, syncState);

/** Every key a bus message may have at any level. */
export const BUS_KEYS = new Set([
  'type',
  'data',
  'sourceServer',
  'targetServer',
  'messageType',
  'messages',
  'payload',
  'requestId',
  'deliveries',
  'recipients',
  'epoch',
  'supervisorSeq',
  'clients',
  'supervisorId',
  'examId',
  'targetExamineeId',
  'status',
  'timestamp',
  'clientId',
  'role',
  'connId',
  'servers',
  'connections',
  'seq',
  'examinees',
  'delivered',
  'pending',
  'code',
  'message',
  'online',
  'serverId',
]);

// ---- hostile variations -----------------------------------------------------------------

/** The paths of every plain object inside `value` (the root is `[]`). */
export function objectPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [];
  const here = Array.isArray(value) ? [] : [path];
  const children = Array.isArray(value)
    ? value.flatMap((v, i) => objectPaths(v, [...path, i]))
    : Object.entries(value).flatMap(([k, v]) => objectPaths(v, [...path, k]));
  return [...here, ...children];
}

function at(value: unknown, path: (string | number)[]): Record<string, unknown> {
  let node = value;
  for (const step of path) node = (node as Record<string | number, unknown>)[step];
  return node as Record<string, unknown>;
}

/** Keys that look tempting to an attacker, plus any string outside `known`. */
export const unknownKey = (known: Set<string>) =>
  fc
    .oneof(
      fc.constantFrom(
        'constructor',
        'prototype',
        'toString',
        'valueOf',
        'hasOwnProperty',
        'isAdmin',
        'supervisorId',
        'sourceServer',
        'role',
        '',
        ' type',
        'TYPE',
      ),
      fc.string({ maxLength: 20 }),
    )
    .filter((k) => !known.has(k) && k !== '__proto__');

/** A valid value with one unknown key added to one of its objects (so it must be refused). */
export function withUnknownKey<T>(valid: fc.Arbitrary<T>, known: Set<string>) {
  return fc
    .tuple(valid, fc.nat(), unknownKey(known), fc.jsonValue())
    .map(([value, pick, key, extra]) => {
      const copy = structuredClone(value) as unknown;
      const paths = objectPaths(copy);
      const target = at(copy, paths[pick % paths.length] ?? []);
      Object.defineProperty(target, key, { value: extra, enumerable: true, writable: true });
      return JSON.stringify(copy);
    });
}

/** Numbers that break naive code: overflow, precision, signs, exponents. */
export const hostileNumber = fc.constantFrom(
  '1e309',
  '-1e309',
  '1e-400',
  '9007199254740993',
  '-9007199254740993',
  '1' + '0'.repeat(400),
  '-0',
  '0.1',
  '1e21',
  '123456789012345678901234567890',
);

/** Text frames of every kind: valid, near-valid, hostile and plain garbage. */
export function anyFrameText(validFrames: fc.Arbitrary<unknown>, known: Set<string>) {
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    { weight: 3, arbitrary: withUnknownKey(validFrames, known) },
    { weight: 2, arbitrary: validFrames.map((v) => JSON.stringify(v)) },
    {
      weight: 2,
      arbitrary: fc.tuple(validFrames, hostileNumber).map(([v, n]) =>
        JSON.stringify(v)
          .replace(/:(\d+)/, `:${n}`)
          .replace(/"(READY|STARTED|PAUSED|RESUMED|ENDED|TERMINATED)"/, n),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(validFrames, fc.jsonValue({ maxDepth: 2 }))
        .map(([v, p]) => JSON.stringify(v).replace(/^\{/, `{"__proto__":${JSON.stringify(p)},`)),
    },
    {
      weight: 1,
      arbitrary: fc.nat({ max: 20_000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
    },
    {
      weight: 1,
      arbitrary: fc.nat({ max: 2000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        'null',
        'true',
        '0',
        '[]',
        '{}',
        '"hello"',
        '{"type":"hello"}',
        '{"type":"status_change"}',
        '{"type":"hello","token":""}',
        `{"type":"hello","token":"${'t'.repeat(4097)}"}`,
        `{"type":"status_change","id":"${'i'.repeat(65)}","data":{"examId":"EXAM1","status":"STARTED"}}`,
        '{"type":"status_change","id":"a b","data":{"examId":"EXAM1","status":"STARTED"}}',
        '{"type":"status_change","id":"x","data":{"examId":"EXAM1","status":"started"}}',
        '{"type":"status_change","id":"x","data":{"examId":"EXAM1","targetExamineeId":"E1","status":"STARTED"}}',
        '{"type":"status_change","id":"x","data":{"examId":"EXAM1","status":"STARTED","supervisorId":"S999"}}',
        '{"type":"status_change","id":"x","data":{"examId":"EXAM1","status":"STARTED"},"supervisorId":"S999"}',
        '{"type":"status_change","id":"x","data":{"constructor":{"prototype":{"polluted":1}}}}',
        '{"type":"__proto__"}',
        '{"type":"toString"}',
        '{"type":"hello","token":"t","type":"status_change"}',
        '\uFEFF{"type":"hello","token":"t"}',
        '{"type":"hello","token":"t"}garbage',
      ),
    },
  );
}
