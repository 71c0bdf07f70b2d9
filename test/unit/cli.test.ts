import { expect } from 'chai';
import { parseCommand } from '../../src/cli.js';
import { ConfigError } from '../../src/shared/errors.js';

describe('cli', () => {
  describe('#parseCommand', () => {
    it('reads each role with its flags and defaults', () => {
      expect(parseCommand(['topology', 'verify', '--file', 't.yaml'])).to.deep.equal({
        command: 'topology',
        action: 'verify',
        file: 't.yaml',
      });
      expect(parseCommand(['server', '--id', 'serverA', '--port', '8081'])).to.deep.equal({
        command: 'server',
        serverId: 'serverA',
        port: 8081,
      });
      expect(parseCommand(['state-manager'])).to.deep.equal({ command: 'state-manager' });
      expect(parseCommand(['admin'])).to.deep.equal({ command: 'admin', port: 8080 });
      expect(parseCommand(['dev', '--server-b-port', '9002'])).to.deep.equal({
        command: 'dev',
        ports: { admin: 8080, serverA: 8081, serverB: 9002 },
      });
    });

    it('reads a token request with its ttl in seconds, 2 h by default', () => {
      const base = ['token', '--sub', 'E001', '--role', 'examinee', '--exam', 'EXAM1'];
      expect(parseCommand(base)).to.deep.equal({
        command: 'token',
        sub: 'E001',
        role: 'examinee',
        exam: 'EXAM1',
        ttlSeconds: 7200,
      });
      expect(parseCommand([...base, '--ttl', '90s'])).to.include({ ttlSeconds: 90 });
    });

    it('answers help, exit code 1 when no command is given', () => {
      expect(parseCommand([])).to.deep.equal({ command: 'help', exitCode: 1 });
      expect(parseCommand(['--help'])).to.deep.equal({ command: 'help', exitCode: 0 });
    });

    it('refuses unknown commands, flags and values with a ConfigError', () => {
      const refused: [string[], RegExp][] = [
        [['serve'], /unknown command "serve"/],
        [['topology', 'apply'], /topology declare\|verify\|export/],
        [['state-manager', '--port', '1'], /--port/],
        [['server', '--id', 'a b', '--port', '1'], /server --id/],
        [['server', '--id', 'serverA', '--port', '70000'], /--port must be a port number/],
        [['token', '--sub', 'E001', '--role', 'root', '--exam', 'X'], /token --sub/],
        [['token', '--sub', 'E', '--role', 'examinee', '--exam', 'X', '--ttl', '1y'], /--ttl/],
      ];
      for (const [argv, message] of refused) {
        expect(() => parseCommand(argv), argv.join(' '))
          .to.throw(ConfigError)
          .with.property('message')
          .that.matches(message);
      }
    });
  });
});
