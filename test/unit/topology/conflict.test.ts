import { expect } from 'chai';
import { TopologyError } from '../../../src/shared/errors.js';
import {
  TopologyConflictError,
  formatConflict,
  parseInequivalence,
  toConflict,
} from '../../../src/topology/conflict.js';

// Reply texts as RabbitMQ 3.10 sends them, and as amqplib 0.10 wraps them.
const WRAPPED =
  'Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - ' +
  "inequivalent arg 'x-delivery-limit' for queue 't1.status_queue' in vhost '/': received '5' but " +
  "current is '3'\"";

describe('topology/conflict', () => {
  describe('#parseInequivalence', () => {
    it('reads both values when both sides have one', () => {
      expect(parseInequivalence(WRAPPED)).to.deep.equal({
        entity: 'queue',
        name: 't1.status_queue',
        vhost: '/',
        property: 'x-delivery-limit',
        received: { text: '5' },
        current: { text: '3' },
      });
    });

    it('reads a typed value and none when the broker lacks the argument', () => {
      const text =
        "PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' for queue 'status_queue' in " +
        "vhost '/': received the value '5' of type 'signedint' but current is none";
      expect(parseInequivalence(text)).to.include({ property: 'x-delivery-limit' });
      expect(parseInequivalence(text)?.received).to.deep.equal({ text: '5', type: 'signedint' });
      expect(parseInequivalence(text)?.current).to.equal(null);
    });

    it('reads none when the file lacks the argument', () => {
      const text =
        "inequivalent arg 'x-queue-type' for queue 'q' in vhost 'v': received none but current " +
        "is the value 'quorum' of type 'longstr'";
      const parsed = parseInequivalence(text);
      expect(parsed?.received).to.equal(null);
      expect(parsed?.current).to.deep.equal({ text: 'quorum', type: 'longstr' });
      expect(parsed?.vhost).to.equal('v');
    });

    it('reads exchange type, durable and auto_delete conflicts', () => {
      for (const [property, received, current] of [
        ['type', 'fanout', 'direct'],
        ['durable', 'false', 'true'],
        ['auto_delete', 'true', 'false'],
      ]) {
        const text =
          `Operation failed: ExchangeDeclare; 406 (PRECONDITION-FAILED) with message "PRECONDITION_` +
          `FAILED - inequivalent arg '${property}' for exchange 't1.relay.broadcast' in vhost '/': ` +
          `received '${received}' but current is '${current}'"`;
        expect(toConflict(parseInequivalence(text)!)).to.deep.equal({
          entity: 'exchange',
          name: 't1.relay.broadcast',
          property,
          live: current,
          file: received,
        });
      }
    });

    it('returns undefined for other replies', () => {
      const text =
        'Operation failed: QueueDeclare; 404 (NOT-FOUND) with message "NOT_FOUND - no queue ' +
        "'q' in vhost '/'\"";
      expect(parseInequivalence(text)).to.equal(undefined);
    });
  });

  describe('#formatConflict', () => {
    it('names entity, property, live value and file value', () => {
      const line = formatConflict({
        entity: 'queue',
        name: 't1.status_queue',
        property: 'x-dead-letter-exchange',
        live: null,
        file: 't1.relay.dlx',
      });
      expect(line).to.equal(
        'queue t1.status_queue: x-dead-letter-exchange is none on the broker, t1.relay.dlx in the file',
      );
    });

    it('says the types differ when both values print the same', () => {
      const line = formatConflict({
        entity: 'queue',
        name: 'q',
        property: 'x-delivery-limit',
        live: '3',
        file: '3',
      });
      expect(line).to.match(/different AMQP field types/);
    });
  });

  describe('TopologyConflictError', () => {
    it('is a TopologyError listing every conflict', () => {
      const error = new TopologyConflictError([
        { entity: 'queue', name: 'a', property: 'durable', live: 'true', file: 'false' },
        { entity: 'exchange', name: 'b', property: 'type', live: 'direct', file: 'fanout' },
      ]);
      expect(error).to.be.instanceOf(TopologyError);
      expect(error.code).to.equal('TOPOLOGY');
      expect(error.message).to.include('queue a: durable is true on the broker, false in the file');
      expect(error.message).to.include(
        'exchange b: type is direct on the broker, fanout in the file',
      );
    });
  });
});
