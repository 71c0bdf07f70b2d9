import { expect } from 'chai';
import type { Message } from 'amqplib';
import {
  MAX_BODY_BYTES,
  readDeadLetter,
  summarize,
  toJson,
} from '../../../src/admin/dead-letter-message.js';

/** A message as amqplib hands it out from basic.get. */
function message(content: Buffer | string, headers: Record<string, unknown> = {}): Message {
  return {
    content: typeof content === 'string' ? Buffer.from(content) : content,
    fields: { deliveryTag: 1, redelivered: false, exchange: '', routingKey: '', messageCount: 0 },
    properties: {
      contentType: 'application/json',
      contentEncoding: undefined,
      headers,
      deliveryMode: 2,
      priority: undefined,
      correlationId: undefined,
      replyTo: undefined,
      expiration: undefined,
      messageId: undefined,
      timestamp: undefined,
      type: undefined,
      userId: undefined,
      appId: undefined,
      clusterId: undefined,
    },
  };
}

const change = JSON.stringify({
  type: 'route_message',
  data: {
    sourceServer: 'serverB',
    targetServer: 'state-manager',
    messageType: 'status_change',
    requestId: 'm-1',
    payload: {
      supervisorId: 'S001',
      examId: 'EXAM1',
      targetExamineeId: 'E001',
      status: 'STARTED',
      timestamp: '2024-01-01T09:00:00.000Z',
    },
  },
});

describe('admin/dead-letter-message', () => {
  describe('#readDeadLetter', () => {
    it('reads the reason the state manager gave in x-relay-reason', () => {
      const letter = readDeadLetter(
        message('{oops', {
          'x-relay-reason': 'invalid message: not JSON',
          'x-relay-source-queue': 'status_queue',
        }),
      );
      expect(letter).to.include({
        reason: 'invalid message: not JSON',
        source: 'state-manager',
        queue: 'status_queue',
        summary: 'not JSON',
        body: '{oops',
        bodyEncoding: 'utf8',
        bodyBytes: 5,
        truncated: false,
      });
    });

    it('reads the broker reason, queue and time from x-death', () => {
      const letter = readDeadLetter(
        message(change, {
          'x-death': [
            {
              count: 1,
              reason: 'delivery_limit',
              queue: 'status_queue',
              time: { '!': 'timestamp', value: 1_704_099_600 },
              exchange: 'relay.status',
              'routing-keys': ['status'],
            },
          ],
          'x-first-death-reason': 'delivery_limit',
        }),
      );
      expect(letter).to.include({
        reason: 'delivery_limit',
        source: 'broker',
        queue: 'status_queue',
        deadLetteredAt: '2024-01-01T09:00:00.000Z',
      });
      expect(letter.summary).to.equal(
        'status_change S001 -> E001 STARTED (request m-1) from serverB',
      );
    });

    it('says when no header tells the reason', () => {
      expect(readDeadLetter(message('x')).source).to.equal('unknown');
    });

    it('gives the same id whatever the x-delivery-count', () => {
      const headers = { 'x-relay-reason': 'r', 'x-relay-publish-id': 'p-1' };
      const first = readDeadLetter(message(change, { ...headers, 'x-delivery-count': 0 }));
      const again = readDeadLetter(message(change, { ...headers, 'x-delivery-count': 7 }));
      expect(first.id).to.match(/^[0-9a-f]{24}$/);
      expect(again.id).to.equal(first.id);
      expect(again.deliveryCount).to.equal(7);
    });

    it('gives different ids to messages that differ in body or headers', () => {
      const a = readDeadLetter(message(change, { 'x-relay-publish-id': 'p-1' }));
      const b = readDeadLetter(message(`${change} `, { 'x-relay-publish-id': 'p-1' }));
      const c = readDeadLetter(message(change, { 'x-relay-publish-id': 'p-2' }));
      expect(new Set([a.id, b.id, c.id]).size).to.equal(3);
    });

    it('shows a body that is not UTF-8 as base64', () => {
      const letter = readDeadLetter(message(Buffer.from([0xff, 0xfe, 0x00])));
      expect(letter).to.include({ bodyEncoding: 'base64', body: '//4A', summary: 'binary body' });
    });

    it('cuts a long body and says so', () => {
      const letter = readDeadLetter(message('x'.repeat(MAX_BODY_BYTES + 10)));
      expect(letter.body).to.have.length(MAX_BODY_BYTES);
      expect(letter).to.include({ truncated: true, bodyBytes: MAX_BODY_BYTES + 10 });
    });
  });

  describe('#summarize', () => {
    it('names connects, disconnects, heartbeats and exam-wide changes', () => {
      const route = (messageType: string, payload: object, extra = {}) =>
        JSON.stringify({
          type: 'route_message',
          data: { sourceServer: 'serverA', messageType, payload, ...extra },
        });
      expect(
        summarize(route('connect', { clientId: 'E001', role: 'examinee', examId: 'EXAM1' })),
      ).to.equal('connect E001 (examinee, exam EXAM1) from serverA');
      expect(summarize(route('disconnect', { clientId: 'E001' }))).to.equal(
        'disconnect E001 from serverA',
      );
      expect(
        summarize(
          route(
            'status_change',
            { supervisorId: 'S001', examId: 'EXAM1', status: 'PAUSED' },
            { requestId: 'r' },
          ),
        ),
      ).to.equal('status_change S001 -> exam EXAM1 PAUSED (request r) from serverA');
      expect(
        summarize(JSON.stringify({ type: 'sync_state', data: { servers: { serverA: {} } } })),
      ).to.equal('sync_state (serverA)');
    });

    it('says what is wrong with bodies that are not messages', () => {
      expect(summarize('[1]')).to.equal('JSON, not an object');
      expect(summarize('{"type":"other"}')).to.equal('JSON of type other');
      expect(summarize(undefined)).to.equal('binary body');
    });
  });

  describe('#toJson', () => {
    it('turns AMQP field values into JSON values', () => {
      expect(toJson({ '!': 'timestamp', value: 0 })).to.equal('1970-01-01T00:00:00.000Z');
      expect(toJson(Buffer.from('text'))).to.equal('text');
      expect(toJson([1, null, { a: true }])).to.deep.equal([1, null, { a: true }]);
      expect(toJson(BigInt(5))).to.equal('5');
      expect(toJson(undefined)).to.equal(null);
    });
  });
});
