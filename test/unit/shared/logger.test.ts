import { expect } from 'chai';
import fc from 'fast-check';
import { createLogger, maskUrl } from '../../../src/shared/logger.js';
import { LogSink } from '../../helpers/log-sink.js';

const SECRET = 'S3CRET-value-0123456789abcdef';

describe('shared/logger', () => {
  describe('#createLogger', () => {
    it('redacts tokens, secrets, passwords and authorization headers at the top level and one down', () => {
      const sink = new LogSink();
      const log = createLogger({ service: 'unit', level: 'trace' }, sink);
      log.info({ token: SECRET, secret: SECRET, password: SECRET, authorization: SECRET }, 'a');
      log.info({ AUTH_SECRET: SECRET, ADMIN_TOKEN: SECRET }, 'b');
      log.info(
        { hello: { token: SECRET }, cfg: { AUTH_SECRET: SECRET, ADMIN_TOKEN: SECRET } },
        'c',
      );
      log.info({ req: { headers: { authorization: `Bearer ${SECRET}` } } }, 'd');
      log.child({ token: SECRET }).info({ conn: { password: SECRET } }, 'e');
      const text = sink.lines.join('');
      expect(sink.lines).to.have.length(5);
      expect(text).to.not.include(SECRET);
      expect(text).to.include('[redacted]');
    });
  });

  describe('#maskUrl', () => {
    it('masks the password of AMQP, Redis and HTTP URLs and keeps the rest', () => {
      expect(maskUrl('amqp://guest:guest@127.0.0.1:5672')).to.equal(
        'amqp://guest:***@127.0.0.1:5672',
      );
      expect(maskUrl('redis://:p%40ss@redis:6379/2')).to.equal('redis://:***@redis:6379/2');
      expect(maskUrl('http://admin:pw@host:15672/api')).to.equal('http://admin:***@host:15672/api');
      expect(maskUrl('amqp://127.0.0.1:5672/vhost')).to.equal('amqp://127.0.0.1:5672/vhost');
      expect(maskUrl('not a url')).to.equal('[unparseable url]');
    });

    it('masks passwords given as query parameters (ioredis reads ?password=)', () => {
      const masked = maskUrl(`redis://127.0.0.1:6379/0?password=${SECRET}&db=1`);
      expect(masked).to.not.include(SECRET);
      expect(masked).to.include('db=1');
      for (const name of [
        'pass',
        'PASSWORD',
        'token',
        'secret',
        'auth',
        'access_token',
        'sasl.password',
      ])
        expect(maskUrl(`amqp://h/?${name}=${SECRET}`), name).to.not.include(SECRET);
    });

    it('never lets a generated password through', () => {
      fc.assert(
        fc.property(
          fc.constantFrom('amqp', 'amqps', 'redis', 'rediss', 'http', 'https'),
          fc.string({ minLength: 1, maxLength: 30 }),
          fc.string({ minLength: 1, maxLength: 12 }).map((s) => `PW~${s}~`),
          fc.constantFrom('userinfo', 'query'),
          (scheme, user, password, where) => {
            const pw = encodeURIComponent(password);
            const url =
              where === 'userinfo'
                ? `${scheme}://${encodeURIComponent(user)}:${pw}@host:1234/v`
                : `${scheme}://host:1234/v?password=${pw}`;
            const masked = maskUrl(url);
            expect(masked).to.not.include(pw);
            expect(masked).to.not.include(password);
          },
        ),
        { numRuns: 1000 },
      );
    });
  });
});
