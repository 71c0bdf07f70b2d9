import type { ResyncEvent } from './events.js';

/** What to do with a `status_change` of a given seq. */
export type SeqVerdict = 'next' | 'duplicate' | 'gap';

/**
 * The client's position in its own stream of status changes: the seq of the last change it
 * emitted. The server numbers each client's changes 1, 2, 3 … and promises them in order with
 * no gaps, so anything at or below the cursor is a repeat, and anything past cursor + 1 means
 * frames went missing.
 */
export class SeqCursor {
  constructor(
    private current: number,
    private numbering: string | undefined = undefined,
  ) {}

  get value(): number {
    return this.current;
  }

  /** The epoch `value` counts in, once a server has named it. */
  get epoch(): string | undefined {
    return this.numbering;
  }

  /** Advances on the next seq; leaves repeats and gaps to the caller. */
  offer(seq: number): SeqVerdict {
    if (seq <= this.current) return 'duplicate';
    if (seq !== this.current + 1) return 'gap';
    this.current = seq;
    return 'next';
  }

  /**
   * A `resync` frame: the server skips (fromSeq, toSeq] and continues after toSeq; with an
   * epoch, the numbering changed and continues after toSeq in that epoch.
   */
  skipTo(toSeq: number, epoch?: string): void {
    if (epoch !== undefined && epoch !== this.numbering) {
      this.numbering = epoch;
      this.current = toSeq;
    } else this.current = Math.max(this.current, toSeq);
  }

  /**
   * A `welcome`: the server resumes after `serverSeq`. That is lower than ours when its counter is
   * behind (the token is for another client id, or Redis lost data) and higher if it will not
   * replay that far back; either way our state may not match its seqs, so the range between the
   * two is returned to resync and the server's position is adopted.
   */
  welcome(serverSeq: number, epoch?: string): ResyncEvent | undefined {
    const previous = this.current;
    const renumbered = this.numbering !== undefined && epoch !== this.numbering;
    this.current = serverSeq;
    this.numbering = epoch ?? this.numbering;
    // The server sends its own resync (and a snapshot) for another epoch.
    if (serverSeq === previous || renumbered) return undefined;
    return { fromSeq: Math.min(previous, serverSeq), toSeq: Math.max(previous, serverSeq) };
  }
}
