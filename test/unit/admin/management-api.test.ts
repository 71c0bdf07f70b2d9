import { expect } from 'chai';
import { toStats } from '../../../src/admin/management-api.js';

describe('admin/management-api', () => {
  describe('#toStats', () => {
    it('reads depth, consumers and rates', () => {
      expect(
        toStats({
          name: 'q',
          messages: 3,
          consumers: 1,
          message_stats: {
            publish_details: { rate: 2.5 },
            deliver_get_details: { rate: 2 },
            ack_details: { rate: 1.5 },
          },
        }),
      ).to.deep.equal({
        messages: 3,
        consumers: 1,
        publishRate: 2.5,
        deliverRate: 2,
        ackRate: 1.5,
      });
    });

    it('counts consumers from the consumer list, which is current', () => {
      expect(toStats({ name: 'q', consumers: 0, consumer_details: [{}] }).consumers).to.equal(1);
    });

    it('gives zero rates to a queue without traffic and null for unknown figures', () => {
      expect(toStats({ name: 'q' })).to.deep.equal({
        messages: null,
        consumers: null,
        publishRate: 0,
        deliverRate: 0,
        ackRate: 0,
      });
    });
  });
});
