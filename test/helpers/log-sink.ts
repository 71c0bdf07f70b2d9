import { Writable } from 'node:stream';

/** Captures every log line as text: pass it to `createLogger` as the destination. */
export class LogSink extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(chunk.toString('utf8'));
    done();
  }
}
