import { expect } from 'chai';
import fc from 'fast-check';
import { Env, loadEnv, managementUrlOf, requireSecret } from '../../../src/shared/config.js';
import { ConfigError } from '../../../src/shared/errors.js';

const SECRET = 'x'.repeat(32);

/** The ConfigError loadEnv throws for `env`. */
function failure(env: Record<string, string>): ConfigError {
  try {
    loadEnv(env);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadEnv accepted ${JSON.stringify(env)}`);
}

describe('shared/config', () => {
  describe('#loadEnv', () => {
    it('applies the documented defaults to an empty environment', () => {
      const config = loadEnv({});
      expect(config).to.include({
        MAX_FRAME_BYTES: 65_536,
        MAX_CONNECTIONS: 10_000,
        MAX_SOCKETS_PER_CLIENT: 3,
        RATE_LIMIT_PER_SECOND: 20,
        RATE_LIMIT_BURST: 40,
        LOG_LEVEL: 'info',
      });
      expect(config.ALLOWED_ORIGINS).to.deep.equal([]);
      expect(config.AUTH_SECRET).to.equal(undefined);
    });

    it('names each bad variable without echoing its value', () => {
      const bad: [string, string][] = [
        ['AMQP_URL', 'http://user:VALUE-pw@host'],
        ['AMQP_URL', 'VALUE-not-a-url'],
        ['REDIS_URL', 'amqp://VALUE@host'],
        ['RELAY_NAMESPACE', 'VALUE with spaces'],
        ['RELAY_NAMESPACE', `VALUE${'n'.repeat(64)}`],
        ['AUTH_SECRET', 'VALUE-too-short'],
        ['ADMIN_TOKEN', 'VALUE-short'],
        ['LOG_LEVEL', 'VALUE-loud'],
        ['HEARTBEAT_INTERVAL_MS', 'VALUE'],
        ['MAX_FRAME_BYTES', '100'],
        ['MAX_FRAME_BYTES', '1e99'],
        ['MAX_CONNECTIONS', '0'],
        ['MAX_CONNECTIONS', '-5'],
        ['MAX_SOCKETS_PER_CLIENT', '2.5'],
        ['RATE_LIMIT_PER_SECOND', 'Infinity'],
        ['RATE_LIMIT_BURST', 'NaN'],
        ['CONFIRM_TIMEOUT_MS', '99999999999'],
        ['RABBITMQ_MANAGEMENT_URL', 'ftp://guest:VALUE-pw@host'],
      ];
      for (const [name, value] of bad) {
        const message = failure({ [name]: value }).message;
        expect(message, `${name}=${value}`).to.include(`at ${name}`);
        expect(message).to.not.include('VALUE');
      }
    });

    it('names every bad variable at once', () => {
      const message = failure({ MAX_FRAME_BYTES: 'x', LOG_LEVEL: 'x', AMQP_URL: 'x' }).message;
      for (const name of ['MAX_FRAME_BYTES', 'LOG_LEVEL', 'AMQP_URL'])
        expect(message).to.include(name);
    });

    it('refuses an AUTH_SECRET shorter than 32 bytes, counting bytes not characters', () => {
      expect(failure({ AUTH_SECRET: 'x'.repeat(31) }).message).to.include('AUTH_SECRET');
      expect(loadEnv({ AUTH_SECRET: SECRET }).AUTH_SECRET).to.equal(SECRET);
      expect(failure({ AUTH_SECRET: '€'.repeat(10) }).message).to.include('32 bytes'); // 30 bytes
      expect(loadEnv({ AUTH_SECRET: '€'.repeat(11) }).AUTH_SECRET).to.have.length(11); // 33 bytes
    });

    it('reads Sentinel settings as a list of host:port with a master name', () => {
      const config = loadEnv({
        REDIS_SENTINELS: '127.0.0.1:26391, sentinel-2:26392,[::1]:26393',
        REDIS_SENTINEL_NAME: 'exam-relay',
      });
      expect(config.REDIS_SENTINELS).to.deep.equal([
        { host: '127.0.0.1', port: 26391 },
        { host: 'sentinel-2', port: 26392 },
        { host: '::1', port: 26393 },
      ]);
      expect(config.REDIS_SENTINEL_NAME).to.equal('exam-relay');
      expect(loadEnv({})).to.include({ REDIS_WAIT_REPLICAS: 0, REDIS_WAIT_TIMEOUT_MS: 1000 });
      expect(loadEnv({}).REDIS_SENTINELS).to.equal(undefined);
    });

    it('refuses Sentinel settings half given, naming the variable and the one missing', () => {
      const alone = failure({ REDIS_SENTINELS: '127.0.0.1:26391' }).message;
      expect(alone).to.include('at REDIS_SENTINELS').and.include('REDIS_SENTINEL_NAME');
      const nameOnly = failure({ REDIS_SENTINEL_NAME: 'exam-relay' }).message;
      expect(nameOnly).to.include('at REDIS_SENTINEL_NAME').and.include('REDIS_SENTINELS');
    });

    it('refuses a retention shorter than three heartbeats, which would expire open connections', () => {
      const short = failure({ HISTORY_RETENTION_SECONDS: '14' }).message;
      expect(short).to.include('at HISTORY_RETENTION_SECONDS').and.include('HEARTBEAT_INTERVAL_MS');
      expect(loadEnv({ HISTORY_RETENTION_SECONDS: '15' }).HISTORY_RETENTION_SECONDS).to.equal(15);
      expect(
        loadEnv({ HISTORY_RETENTION_SECONDS: '1', HEARTBEAT_INTERVAL_MS: '300' })
          .HEARTBEAT_INTERVAL_MS,
      ).to.equal(300);
    });

    it('refuses an empty item or a bad host:port in REDIS_SENTINELS without echoing it', () => {
      for (const list of [
        '127.0.0.1:26391,,127.0.0.1:26393',
        '127.0.0.1:26391,',
        'VALUE-no-port',
        '127.0.0.1:0',
        '127.0.0.1:65536',
        'VALUE:port',
        'http://VALUE:26379',
      ]) {
        const message = failure({ REDIS_SENTINELS: list, REDIS_SENTINEL_NAME: 'n' }).message;
        expect(message, list).to.include('at REDIS_SENTINELS');
        expect(message).to.not.include('VALUE');
      }
      expect(failure({ REDIS_WAIT_REPLICAS: '-1' }).message).to.include('at REDIS_WAIT_REPLICAS');
      expect(failure({ REDIS_WAIT_TIMEOUT_MS: '0' }).message).to.include(
        'at REDIS_WAIT_TIMEOUT_MS',
      );
    });

    it('parses AMQP_URL to the list of nodes, one URL by default', () => {
      expect(loadEnv({}).AMQP_URL).to.deep.equal(['amqp://guest:guest@127.0.0.1:5672']);
      expect(loadEnv({ AMQP_URL: 'amqp://a:5701,amqp://b:5702' }).AMQP_URL).to.deep.equal([
        'amqp://a:5701',
        'amqp://b:5702',
      ]);
    });

    it('refuses an AMQP_URL list with an empty item, mixed schemes or mixed vhosts', () => {
      for (const value of [
        'amqp://u:VALUE@a,,amqp://u:VALUE@b',
        'amqp://u:VALUE@a,amqps://u:VALUE@b',
        'amqp://u:VALUE@a/x,amqp://u:VALUE@b/y',
      ]) {
        const message = failure({ AMQP_URL: value }).message;
        expect(message, value).to.include('at AMQP_URL');
        expect(message, value).to.match(/empty|scheme|vhost/);
        expect(message).to.not.include('VALUE');
      }
    });

    it("defaults RABBITMQ_MANAGEMENT_URL to the first AMQP_URL node's management port", () => {
      expect(managementUrlOf(loadEnv({}))).to.equal('http://guest:guest@127.0.0.1:15672');
      expect(managementUrlOf(loadEnv({ AMQP_URL: 'amqp://u:p@r1:5701,amqp://u:p@r2' }))).to.equal(
        'http://u:p@r1:15672',
      );
      const set = loadEnv({ AMQP_URL: 'amqp://r1', RABBITMQ_MANAGEMENT_URL: 'http://m:1/' });
      expect(managementUrlOf(set)).to.equal('http://m:1/');
    });

    it('treats an empty variable as unset', () => {
      expect(loadEnv({ AUTH_SECRET: '', LOG_LEVEL: '' })).to.include({ LOG_LEVEL: 'info' });
    });

    it('either accepts a value or names its variable, for any value of any variable', () => {
      const names = Object.keys(Env.shape);
      fc.assert(
        fc.property(
          fc.constantFrom(...names),
          fc.string({ minLength: 1, maxLength: 40 }),
          (name, raw) => {
            const value = `VAL~${raw}`;
            try {
              loadEnv({ [name]: value });
            } catch (err) {
              expect(err).to.be.instanceOf(ConfigError);
              expect((err as Error).message).to.include(`at ${name}`);
              expect((err as Error).message).to.not.include(value);
            }
          },
        ),
        { numRuns: 1000 },
      );
    });
  });

  describe('#requireSecret', () => {
    it('throws a ConfigError naming the missing secret', () => {
      expect(() => requireSecret(loadEnv({}), 'AUTH_SECRET')).to.throw(ConfigError, /AUTH_SECRET/);
      expect(() => requireSecret(loadEnv({}), 'ADMIN_TOKEN')).to.throw(ConfigError, /ADMIN_TOKEN/);
      expect(requireSecret(loadEnv({ AUTH_SECRET: SECRET }), 'AUTH_SECRET')).to.equal(SECRET);
    });
  });
});
