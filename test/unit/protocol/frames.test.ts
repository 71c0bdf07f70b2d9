import { expect } from 'chai';
import fc from 'fast-check';
import {
  examineeFrameTemplate,
  fillExamineeFrame,
  statusChangeDataFor,
  statusChangeFrameParts,
} from '../../../src/protocol/index.js';
import { STATUSES, clientId, requestId } from './arbitraries.js';

describe('examineeFrameTemplate', () => {
  it('builds exactly the frame each examinee gets for an exam-wide change, from any ids', () => {
    fc.assert(
      fc.property(
        requestId,
        clientId,
        clientId,
        clientId,
        fc.constantFrom(...STATUSES),
        fc.integer({ min: 1, max: 2 ** 40 }),
        (id, supervisorId, examId, examineeId, status, seq) => {
          const data = { supervisorId, examId, status, timestamp: '2024-01-01T09:00:00.000Z' };
          const template = examineeFrameTemplate(id, data);
          const [prefix, suffix] = statusChangeFrameParts(
            id,
            statusChangeDataFor(data, examineeId, 'examinee'),
          );
          const expected = `${prefix}${seq}${suffix}`;
          expect(fillExamineeFrame(template, seq, examineeId)).to.equal(expected);
          expect(JSON.parse(expected)).to.deep.include({ seq, id });
        },
      ),
    );
  });

  it('refuses a targeted change, whose frame is the same for every recipient', () => {
    const data = {
      supervisorId: 'S001',
      targetExamineeId: 'E001',
      status: 'STARTED' as const,
      timestamp: '2024-01-01T09:00:00.000Z',
    };
    expect(() => examineeFrameTemplate('m-1', data)).to.throw(/examinee id last/);
  });
});
