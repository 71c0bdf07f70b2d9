interface Waiting<T, R> {
  item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

/**
 * Hands items to `process` in batches per key: the items of one key in the order given, one
 * batch at a time, and different keys concurrently. What arrives while a key's batch runs
 * (and what arrives in the same turn of the event loop as its first item) forms its next
 * batch. The state manager keys by exam, so the changes, connects and disconnects of one
 * exam are applied in the order they left `status_queue`, and those that arrive together
 * are applied together.
 */
export class KeyedBatches<T, R> {
  private readonly lanes = new Map<string, Waiting<T, R>[]>();

  /** `process` settles one result per item, in the items' order. */
  constructor(private readonly process: (items: T[]) => Promise<PromiseSettledResult<R>[]>) {}

  /** Resolves or rejects with `item`'s result, after every earlier item of `key`. */
  run(key: string, item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const waiting = { item, resolve, reject };
      const lane = this.lanes.get(key);
      if (lane) {
        lane.push(waiting);
        return;
      }
      this.lanes.set(key, [waiting]);
      queueMicrotask(() => void this.drain(key));
    });
  }

  /** Keys with items running or waiting. */
  get size(): number {
    return this.lanes.size;
  }

  private async drain(key: string): Promise<void> {
    const lane = this.lanes.get(key) ?? [];
    while (lane.length > 0) {
      const batch = lane.splice(0);
      const results = await this.process(batch.map((w) => w.item)).catch((err: unknown) =>
        batch.map((): PromiseSettledResult<R> => ({ status: 'rejected', reason: err })),
      );
      batch.forEach((w, i) => {
        const result = results[i];
        if (result?.status === 'fulfilled') w.resolve(result.value);
        else w.reject(result ? result.reason : new Error('batch gave no result'));
      });
    }
    this.lanes.delete(key);
  }
}
