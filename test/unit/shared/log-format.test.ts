import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { logFormatFor } from '../../../src/shared/logger.js';

const SECRET = 'S3CRET-value-0123456789abcdef';

/** Logs one line from a child process whose stdout is a pipe, in the given format. */
function logLine(format: 'json' | 'pretty'): string {
  const script = `
    import { createLogger } from './src/shared/logger.ts';
    const log = createLogger({ service: 'unit', format: ${JSON.stringify(format)} });
    log.info({ token: ${JSON.stringify(SECRET)}, serverId: 'serverA' }, 'hello there');
    log.flush?.();`;
  return execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
}

describe('shared/logger', () => {
  describe('#logFormatFor', () => {
    it('is pretty on a terminal and json on a pipe when LOG_FORMAT is unset', () => {
      expect(logFormatFor(undefined, true)).to.equal('pretty');
      expect(logFormatFor(undefined, false)).to.equal('json');
    });

    it('follows LOG_FORMAT whatever stdout is', () => {
      expect(logFormatFor('json', true)).to.equal('json');
      expect(logFormatFor('pretty', false)).to.equal('pretty');
    });
  });

  describe('#createLogger with format', () => {
    it('writes pino-pretty lines, still redacted, when format is pretty', () => {
      const out = logLine('pretty');
      expect(out).to.include('INFO');
      expect(out).to.include('hello there');
      expect(out).to.include('serverA');
      expect(out).to.include('[redacted]');
      expect(out).to.not.include(SECRET);
      expect(() => JSON.parse(out.trim().split('\n')[0] ?? '')).to.throw();
    });

    it('writes JSON lines when format is json', () => {
      const line = JSON.parse(logLine('json').trim()) as Record<string, unknown>;
      expect(line).to.include({ msg: 'hello there', service: 'unit', token: '[redacted]' });
    });
  });
});
