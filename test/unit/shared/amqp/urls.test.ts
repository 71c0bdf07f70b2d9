import { expect } from 'chai';
import { managementUrlFor, parseAmqpUrls, vhostOf } from '../../../../src/shared/amqp/urls.js';

describe('shared/amqp/urls', () => {
  describe('#parseAmqpUrls', () => {
    it('takes one URL or the comma-separated nodes of one cluster, trimmed', () => {
      expect(parseAmqpUrls('amqp://h:5672')).to.deep.equal({ ok: true, urls: ['amqp://h:5672'] });
      expect(parseAmqpUrls('amqp://u:p@a:5701, amqp://u:p@b:5702 ,amqp://c')).to.deep.equal({
        ok: true,
        urls: ['amqp://u:p@a:5701', 'amqp://u:p@b:5702', 'amqp://c'],
      });
    });

    it('refuses an empty item, naming its position', () => {
      for (const value of ['amqp://a,,amqp://b', 'amqp://a,', ',amqp://a', ' ']) {
        const result = parseAmqpUrls(value);
        expect(result.ok, value).to.equal(false);
        expect(result.ok ? [] : result.problems, value).to.satisfy((p: string[]) =>
          p.some((m) => /item \d of the list is empty/.test(m)),
        );
      }
    });

    it('refuses items of different schemes and of different vhosts, never echoing a URL', () => {
      const schemes = parseAmqpUrls('amqp://u:pw1@a,amqps://u:pw1@b');
      expect(schemes).to.deep.equal({
        ok: false,
        problems: ['item 2 uses amqps but item 1 amqp: the nodes of one cluster share one scheme'],
      });
      const vhosts = parseAmqpUrls('amqp://u:pw1@a/exam,amqp://u:pw1@b/%2F,amqp://c/exam');
      expect(vhosts).to.deep.equal({
        ok: false,
        problems: [
          'item 2 names vhost "/" but item 1 "exam": the nodes of one cluster share one vhost',
        ],
      });
      expect(JSON.stringify([schemes, vhosts])).to.not.include('pw1');
    });

    it('counts an empty path and %2F as the same default vhost', () => {
      expect(parseAmqpUrls('amqp://a,amqp://b/,amqp://c/%2F').ok).to.equal(true);
    });

    it('refuses other schemes and non-URLs per item', () => {
      expect(parseAmqpUrls('amqp://a,http://b')).to.deep.equal({
        ok: false,
        problems: ['item 2 must use amqp: or amqps:'],
      });
      expect(parseAmqpUrls('nope')).to.deep.equal({ ok: false, problems: ['item 1 is not a URL'] });
    });
  });

  describe('#vhostOf', () => {
    it('decodes the path, / when empty', () => {
      expect(vhostOf('amqp://h:5672')).to.equal('/');
      expect(vhostOf('amqp://h:5672/exam%2Fprod')).to.equal('exam/prod');
    });
  });

  describe('#managementUrlFor', () => {
    it("is port 15672 of the first node's host with its credentials", () => {
      expect(managementUrlFor(['amqp://u:p@rabbit1:5672/v', 'amqp://u:p@rabbit2:5672/v'])).to.equal(
        'http://u:p@rabbit1:15672',
      );
      expect(managementUrlFor(['amqp://127.0.0.1:5701'])).to.equal(
        'http://guest:guest@127.0.0.1:15672',
      );
      expect(managementUrlFor(['amqps://u:p@h'])).to.equal('https://u:p@h:15671');
    });
  });
});
