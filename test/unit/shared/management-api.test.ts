import { expect } from 'chai';
import { vhostOf } from '../../../src/shared/management-api.js';

describe('shared/management-api', () => {
  describe('#vhostOf', () => {
    it('reads the vhost from the path, / when there is none', () => {
      expect(vhostOf('amqp://h:5672')).to.equal('/');
      expect(vhostOf('amqp://h:5672/exam%2Fprod')).to.equal('exam/prod');
    });
  });
});
