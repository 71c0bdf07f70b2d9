import { createRequire } from 'node:module';
import { createServer, type Server, type Socket } from 'node:net';

const require = createRequire(import.meta.url);
/** amqplib's frame codec (lib/defs.js), to speak the broker's side of the handshake. */
const defs = require('amqplib/lib/defs.js') as {
  ConnectionStart: number;
  ConnectionTune: number;
  ConnectionClose: number;
  encodeMethod(id: number, channel: number, fields: Record<string, unknown>): Buffer;
};

/** What the fake broker does once a client has sent the protocol header. */
export type FakeBrokerScript =
  /** Sends connection.close with this code after start-ok (as RabbitMQ does for a bad login). */
  | { closeAfterStartOk: { replyCode: number; replyText: string } }
  /** Tunes, then sends connection.close with this code after connection.open (530 for a vhost). */
  | { closeAfterOpen: { replyCode: number; replyText: string } }
  /** Drops the socket after the protocol header. */
  | { drop: true };

/**
 * A TCP listener that plays the first steps of an AMQP 0-9-1 broker's handshake from a script,
 * for tests of how connect errors are classified. Counts the connections it accepted.
 */
export class FakeAmqpBroker {
  connections = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly script: FakeBrokerScript) {
    this.server = createServer((socket) => this.accept(socket));
  }

  /** Listens on `port` (0: any free port) of 127.0.0.1; resolves with the port. */
  listen(port = 0): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        const address = this.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.connections += 1;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let step = 0;
    socket.on('data', () => {
      step += 1;
      const script = this.script;
      if ('drop' in script) {
        socket.destroy();
      } else if (step === 1) {
        socket.write(
          defs.encodeMethod(defs.ConnectionStart, 0, {
            versionMajor: 0,
            versionMinor: 9,
            serverProperties: {},
            mechanisms: Buffer.from('PLAIN'),
            locales: Buffer.from('en_US'),
          }),
        );
      } else if ('closeAfterStartOk' in script && step === 2) {
        socket.write(close(script.closeAfterStartOk));
      } else if ('closeAfterOpen' in script && step === 2) {
        socket.write(
          defs.encodeMethod(defs.ConnectionTune, 0, {
            channelMax: 0,
            frameMax: 131072,
            heartbeat: 0,
          }),
        );
      } else if ('closeAfterOpen' in script && step === 3) {
        socket.write(close(script.closeAfterOpen));
      }
    });
  }
}

function close(fields: { replyCode: number; replyText: string }): Buffer {
  return defs.encodeMethod(defs.ConnectionClose, 0, { ...fields, classId: 0, methodId: 0 });
}
