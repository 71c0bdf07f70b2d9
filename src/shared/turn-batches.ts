import { MAX_BATCH_MESSAGES } from '../protocol/index.js';

interface Gathered<T, R> {
  items: T[];
  waiters: { resolve(result: R): void; reject(err: unknown): void }[];
}

/**
 * Gathers what is given for one key in one turn of the event loop and sends it together:
 * `send(key, items)` once per key and turn (or as soon as MAX_BATCH_MESSAGES are waiting),
 * with the items in the order given; everyone who gave one gets its result. `schedule` picks
 * the end of the turn: `queueMicrotask` for what one callback produces, `setImmediate` for
 * what the reads of one poll produce.
 */
export class TurnBatches<T, R> {
  private readonly gathered = new Map<string, Gathered<T, R>>();
  private scheduled = false;

  constructor(
    private readonly send: (key: string, items: T[]) => Promise<R>,
    private readonly schedule: (flush: () => void) => void = queueMicrotask,
  ) {}

  add(key: string, item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let g = this.gathered.get(key);
      if (!g) {
        g = { items: [], waiters: [] };
        this.gathered.set(key, g);
      }
      g.items.push(item);
      g.waiters.push({ resolve, reject });
      if (g.items.length >= MAX_BATCH_MESSAGES) {
        this.gathered.delete(key);
        this.sendNow(key, g);
      } else if (!this.scheduled) {
        this.scheduled = true;
        this.schedule(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    for (const [key, g] of this.gathered) this.sendNow(key, g);
    this.gathered.clear();
  }

  private sendNow(key: string, g: Gathered<T, R>): void {
    this.send(key, g.items).then(
      (result) => g.waiters.forEach((w) => w.resolve(result)),
      (err: unknown) => g.waiters.forEach((w) => w.reject(err)),
    );
  }
}
