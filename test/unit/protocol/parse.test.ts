import { expect } from 'chai';
import fc from 'fast-check';
import type { z } from 'zod';
import {
  ClientFrame,
  ServerQueueMessage,
  StatusQueueMessage,
  parseJson,
} from '../../../src/protocol/index.js';
import {
  BUS_KEYS,
  CLIENT_KEYS,
  STATUSES,
  anyFrameText,
  validClientFrame,
  validServerQueueMessage,
  validStatusQueueMessage,
  withUnknownKey,
} from './arbitraries.js';

const RUNS = { numRuns: 1000 };
/** Arbitrary text: the fuzz proper. */
const FUZZ = { numRuns: 2500 };

/** parseJson must return a verdict for any text and never throw. */
function verdict<S extends z.ZodType>(schema: S, text: string) {
  let result: ReturnType<typeof parseJson<S>> | undefined;
  expect(() => (result = parseJson(schema, text))).to.not.throw();
  expect(result).to.have.property('ok').that.is.a('boolean');
  if (result && !result.ok) expect(result.error).to.be.a('string').and.not.equal('');
  return result as ReturnType<typeof parseJson<S>>;
}

/**
 * What `parseJson` must answer for `text`, worked out without it: not JSON (JSON.parse throws),
 * too deep (more than 32 levels, counted without recursion), or checked against the schema, as
 * the JSON value with its `__proto__` keys dropped.
 */
function classify(
  text: string,
): { kind: 'not JSON' } | { kind: 'too deep' } | { kind: 'checked'; raw: unknown } {
  let plain: unknown;
  try {
    plain = JSON.parse(text);
  } catch {
    return { kind: 'not JSON' };
  }
  const stack: [unknown, number][] = [[plain, 0]];
  while (stack.length > 0) {
    const [value, level] = stack.pop() as [unknown, number];
    if (level > 32) return { kind: 'too deep' };
    if (typeof value === 'object' && value !== null) {
      for (const child of Object.values(value)) stack.push([child, level + 1]);
    }
  }
  return {
    kind: 'checked',
    raw: JSON.parse(text, (k, v: unknown) => (k === '__proto__' ? undefined : v)),
  };
}

/**
 * The verdict on `text` is the right one: "not JSON" for what is not JSON, "nested deeper than
 * 32" for what is too deep, and otherwise either the value itself or an error naming a path
 * (of the input, or a key the schema knows);
 * with `allows` (an oracle from the spec), accepted exactly when the oracle allows it.
 */
function expectRightVerdict<S extends z.ZodType>(
  schema: S,
  known: Set<string>,
  text: string,
  allows?: (value: unknown) => boolean,
): void {
  const result = verdict(schema, text);
  const expected = classify(text);
  if (expected.kind === 'not JSON') {
    expect(result, text).to.deep.equal({ ok: false, error: 'not JSON' });
  } else if (expected.kind === 'too deep') {
    expect(result, text).to.deep.equal({ ok: false, error: 'nested deeper than 32' });
  } else if (result.ok) {
    expect(result.value, text).to.deep.equal(expected.raw);
    if (allows) expect(allows(expected.raw), `accepted: ${text}`).to.equal(true);
  } else {
    // The first issue's path is the root, or starts at a key of the input or of the schema.
    const keys = [...known, ...(isObject(expected.raw) ? Object.keys(expected.raw) : [])];
    const named =
      result.error.startsWith('(root): ') ||
      keys.some((k) => result.error.startsWith(`${k}.`) || result.error.startsWith(`${k}: `));
    expect(named, `${text} -> ${result.error}`).to.equal(true);
    if (allows) expect(allows(expected.raw), `refused: ${text}`).to.equal(false);
  }
}

// ---- an oracle written from SPEC §5, independent of the zod schemas ----------------------

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const hasOnly = (o: Record<string, unknown>, required: string[], optional: string[] = []) =>
  required.every((k) => Object.hasOwn(o, k)) &&
  Object.keys(o).every((k) => required.includes(k) || optional.includes(k));
const isId = (v: unknown) => typeof v === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(v);
const isRequestId = (v: unknown) => typeof v === 'string' && /^[\x21-\x7e]{1,64}$/.test(v);
const isStatus = (v: unknown) => (STATUSES as readonly unknown[]).includes(v);

function specAllowsClientFrame(v: unknown): boolean {
  if (!isObject(v)) return false;
  if (v.type === 'hello') {
    if (!hasOnly(v, ['type', 'token'], ['resume'])) return false;
    if (typeof v.token !== 'string' || v.token.length < 1 || v.token.length > 4096) return false;
    if (v.resume === undefined) return true;
    const r = v.resume;
    return (
      isObject(r) &&
      hasOnly(r, ['lastSeq']) &&
      Number.isSafeInteger(r.lastSeq) &&
      Number(r.lastSeq) >= 0
    );
  }
  if (v.type === 'status_change') {
    if (!hasOnly(v, ['type', 'id', 'data']) || !isRequestId(v.id) || !isObject(v.data))
      return false;
    const d = v.data;
    return (
      (hasOnly(d, ['targetExamineeId', 'status']) &&
        isId(d.targetExamineeId) &&
        isStatus(d.status)) ||
      (hasOnly(d, ['examId', 'status']) && isId(d.examId) && isStatus(d.status))
    );
  }
  return false;
}

describe('protocol/parse', () => {
  describe('#parseJson(ClientFrame)', () => {
    it('answers any text with the right verdict: not JSON, too deep, or as the spec says', () => {
      fc.assert(
        fc.property(anyFrameText(validClientFrame, CLIENT_KEYS), (text) => {
          expectRightVerdict(ClientFrame, CLIENT_KEYS, text, specAllowsClientFrame);
        }),
        FUZZ,
      );
    });

    it('agrees with an oracle written from the spec on near-valid frames', () => {
      const nearFrame = fc.record(
        {
          type: fc.oneof(fc.constantFrom('hello', 'status_change'), fc.string({ maxLength: 5 })),
          token: fc.oneof(fc.string({ maxLength: 10 }), fc.constant('t'.repeat(4097)), fc.nat()),
          resume: fc.oneof(
            fc.record(
              {
                lastSeq: fc.oneof(
                  fc.nat(),
                  fc.double(),
                  fc.constantFrom(-1, 2 ** 53, Number.MAX_SAFE_INTEGER, 1.5),
                ),
                extra: fc.nat(),
              },
              { requiredKeys: [] },
            ),
            fc.jsonValue({ maxDepth: 1 }),
          ),
          id: fc.oneof(
            fc.string({ maxLength: 70 }),
            fc.constant('i'.repeat(65)),
            fc.constant('ok-1'),
          ),
          data: fc.oneof(
            fc.record(
              {
                targetExamineeId: fc.oneof(fc.constantFrom('E001', 'E 1', ''), fc.nat()),
                examId: fc.constantFrom('EXAM1', 'x'.repeat(65)),
                status: fc.oneof(fc.constantFrom(...STATUSES, 'started', 'DONE'), fc.nat()),
                supervisorId: fc.constant('S999'),
              },
              { requiredKeys: [] },
            ),
            fc.jsonValue({ maxDepth: 1 }),
          ),
          extra: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      );
      fc.assert(
        fc.property(nearFrame, (frame) => {
          const result = verdict(ClientFrame, JSON.stringify(frame));
          expect(result.ok, JSON.stringify(frame)).to.equal(specAllowsClientFrame(frame));
        }),
        RUNS,
      );
    });

    it('accepts every valid frame and returns it unchanged', () => {
      fc.assert(
        fc.property(validClientFrame, (frame) => {
          const result = verdict(ClientFrame, JSON.stringify(frame));
          expect(result).to.deep.equal({ ok: true, value: frame });
        }),
        RUNS,
      );
    });

    it('refuses a valid frame with an unknown key added at any level', () => {
      fc.assert(
        fc.property(withUnknownKey(validClientFrame, CLIENT_KEYS), (text) => {
          expect(verdict(ClientFrame, text).ok, text).to.equal(false);
        }),
        RUNS,
      );
    });

    it('drops __proto__ keys at any level without touching any prototype', () => {
      const texts = [
        '{"type":"hello","token":"t","__proto__":{"polluted":1}}',
        '{"__proto__":{"polluted":1},"type":"hello","token":"t","resume":{"lastSeq":1,"__proto__":{"polluted":1}}}',
        '{"type":"status_change","id":"x","data":{"examId":"E","status":"READY","__proto__":{"polluted":1}}}',
        '{"type":"hello","token":"t","__proto__":null}',
        '{"type":"hello","token":"t","__proto__":[1,2,{"polluted":1}]}',
      ];
      for (const text of texts) {
        const result = verdict(ClientFrame, text);
        expect(result.ok, text).to.equal(true);
        if (!result.ok) continue;
        expect(Object.getPrototypeOf(result.value)).to.equal(Object.prototype);
        expect(Object.hasOwn(result.value, '__proto__')).to.equal(false);
      }
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(Object.prototype).to.not.have.property('polluted');
    });

    it('refuses constructor and prototype keys', () => {
      for (const text of [
        '{"type":"hello","token":"t","constructor":{"prototype":{"polluted":1}}}',
        '{"type":"hello","token":"t","prototype":{}}',
        '{"type":"status_change","id":"x","data":{"examId":"E","status":"READY","constructor":1}}',
      ]) {
        expect(verdict(ClientFrame, text).ok, text).to.equal(false);
      }
      expect(Object.prototype).to.not.have.property('polluted');
    });

    it('refuses nesting deeper than 32 and survives nesting of any depth', () => {
      const deep = (n: number) =>
        `{"type":"hello","token":"t","x":${'['.repeat(n)}${']'.repeat(n)}}`;
      expect(verdict(ClientFrame, deep(40))).to.deep.equal({
        ok: false,
        error: 'nested deeper than 32',
      });
      for (const n of [33, 1000, 100_000]) expect(verdict(ClientFrame, deep(n)).ok).to.equal(false);
      const objects = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
      for (const n of [33, 5000]) expect(verdict(ClientFrame, objects(n)).ok).to.equal(false);
    });

    it('refuses huge, fractional and negative numbers where integers are expected', () => {
      for (const n of ['1e309', '-1', '1.5', '9007199254740992', '1e400', '-1e309']) {
        const text = `{"type":"hello","token":"t","resume":{"lastSeq":${n}}}`;
        expect(verdict(ClientFrame, text).ok, n).to.equal(false);
      }
      const max = `{"type":"hello","token":"t","resume":{"lastSeq":${Number.MAX_SAFE_INTEGER}}}`;
      expect(verdict(ClientFrame, max).ok).to.equal(true);
    });

    it('bounds ids, tokens and statuses', () => {
      const change = (id: string, data: Record<string, unknown>) =>
        JSON.stringify({ type: 'status_change', id, data });
      expect(
        verdict(ClientFrame, change('i'.repeat(64), { examId: 'E', status: 'READY' })).ok,
      ).to.equal(true);
      expect(
        verdict(ClientFrame, change('i'.repeat(65), { examId: 'E', status: 'READY' })).ok,
      ).to.equal(false);
      expect(verdict(ClientFrame, change('', { examId: 'E', status: 'READY' })).ok).to.equal(false);
      expect(
        verdict(ClientFrame, change('x', { examId: 'E'.repeat(65), status: 'READY' })).ok,
      ).to.equal(false);
      expect(
        verdict(ClientFrame, change('x', { targetExamineeId: 'E/1', status: 'READY' })).ok,
      ).to.equal(false);
      expect(verdict(ClientFrame, change('x', { examId: 'E', status: 'DONE' })).ok).to.equal(false);
      const hello = (token: string) => JSON.stringify({ type: 'hello', token });
      expect(verdict(ClientFrame, hello('t'.repeat(4096))).ok).to.equal(true);
      expect(verdict(ClientFrame, hello('t'.repeat(4097))).ok).to.equal(false);
    });
  });

  // One suite per direction of the bus: each queue's union, its valid messages, and the
  // other direction's messages, which it must refuse.
  const directions: {
    name: string;
    schema: z.ZodType;
    valid: fc.Arbitrary<{ type: string }>;
    other: string;
    otherValid: fc.Arbitrary<{ type: string }>;
  }[] = [
    {
      name: 'StatusQueueMessage',
      schema: StatusQueueMessage,
      valid: validStatusQueueMessage,
      other: 'what the state manager routes to servers',
      otherValid: validServerQueueMessage,
    },
    {
      name: 'ServerQueueMessage',
      schema: ServerQueueMessage,
      valid: validServerQueueMessage,
      other: 'what servers put on status_queue',
      otherValid: validStatusQueueMessage,
    },
  ];
  for (const { name, schema, valid, other, otherValid } of directions) {
    describe(`#parseJson(${name})`, () => {
      it('answers any text with the right verdict: not JSON, too deep, the value, or a path at fault', () => {
        fc.assert(
          fc.property(anyFrameText(valid, BUS_KEYS), (text) => {
            expectRightVerdict(schema, BUS_KEYS, text);
          }),
          FUZZ,
        );
      });

      it('accepts every valid message and refuses it with an unknown key added', () => {
        fc.assert(
          fc.property(valid, (message) => {
            expect(verdict(schema, JSON.stringify(message)).ok).to.equal(true);
          }),
          RUNS,
        );
        fc.assert(
          fc.property(withUnknownKey(valid, BUS_KEYS), (text) => {
            expect(verdict(schema, text).ok, text).to.equal(false);
          }),
          RUNS,
        );
      });

      it(`refuses ${other} (the other direction)`, () => {
        fc.assert(
          fc.property(otherValid, (message) => {
            fc.pre(message.type === 'route_message');
            expect(verdict(schema, JSON.stringify(message)).ok).to.equal(false);
          }),
          RUNS,
        );
      });
    });
  }
});
