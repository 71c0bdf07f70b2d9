import { createRequire } from 'node:module';

/**
 * The reply code of a `connection.close` the broker sends during the opening handshake, on the
 * error amqplib rejects `connect()` with.
 *
 * amqplib (0.10.9, and 2.0.1 alike) turns such a close into a plain `Error` without its fields:
 * after start-ok it reads `Handshake terminated by server: 403 (ACCESS-REFUSED) with message …`
 * (lib/connection.js `afterStartOk`, text from lib/format.js `closeMessage`), and after
 * connection.open (`530 NOT_ALLOWED`, a vhost the user may not use) only `Expected
 * ConnectionOpenOk; got <ConnectionClose channel:0>`. RabbitMQ sends the 403 close for refused
 * credentials because amqplib announces the `authentication_failure_close` capability.
 *
 * Rather than read codes out of that text, this records the close frame amqplib receives while
 * opening (its `Connection#step`, used only by the handshake) and copies its fields onto the
 * error `Connection#open` reports: `code` (the reply code, as amqplib sets it on every other
 * close error), `replyText`, `classId`, `methodId`. Installed once, on first import.
 */

const HANDSHAKE_CLOSE = Symbol('exam-relay.handshakeClose');
const INSTALLED = Symbol.for('exam-relay.amqplib-handshake-close');

interface CloseFields {
  replyCode: number;
  replyText: string;
  classId: number;
  methodId: number;
}

interface Frame {
  id?: number;
  fields?: Partial<CloseFields>;
}

type StepCallback = (err: unknown, frame: Frame | null) => void;
type OpenCallback = (err: Error | null, ok?: unknown) => void;

interface HandshakeConnection {
  step(cb: StepCallback): void;
  open(fields: unknown, cb?: OpenCallback): void;
  [HANDSHAKE_CLOSE]?: Partial<CloseFields>;
}

/** Fields copied onto a handshake error; `code` is what `isFatalAmqpError` reads. */
export interface HandshakeCloseError extends Error {
  code?: number;
  replyText?: string;
  classId?: number;
  methodId?: number;
}

function install(): boolean {
  const require = createRequire(import.meta.url);
  const { Connection } = require('amqplib/lib/connection.js') as {
    Connection?: { prototype: HandshakeConnection & { [INSTALLED]?: true } };
  };
  const defs = require('amqplib/lib/defs.js') as { ConnectionClose?: number };
  const proto = Connection?.prototype;
  const closeId = defs.ConnectionClose;
  if (!proto || typeof proto.step !== 'function' || typeof proto.open !== 'function') return false;
  if (typeof closeId !== 'number') return false;
  if (proto[INSTALLED]) return true;
  const step = proto.step;
  const open = proto.open;
  proto.step = function (this: HandshakeConnection, cb: StepCallback) {
    step.call(this, (err, frame) => {
      if (frame?.id === closeId && frame.fields) this[HANDSHAKE_CLOSE] = frame.fields;
      cb(err, frame);
    });
  };
  proto.open = function (this: HandshakeConnection, fields: unknown, cb?: OpenCallback) {
    open.call(this, fields, (err, ok) => {
      const close = this[HANDSHAKE_CLOSE];
      if (err && close && typeof close.replyCode === 'number') {
        Object.assign(err, {
          code: close.replyCode,
          replyText: close.replyText,
          classId: close.classId,
          methodId: close.methodId,
        });
      }
      cb?.(err, ok);
    });
  };
  proto[INSTALLED] = true;
  return true;
}

/** True when amqplib's handshake errors carry the broker's reply code (checked by a unit test). */
export const handshakeCloseCodes: boolean = install();
