/**
 * Runs tasks one at a time per key, in the order they were given, and tasks of different keys
 * concurrently. The state manager keys by exam, so the changes, connects and disconnects of
 * one exam are applied in the order they left `status_queue`, however long each takes.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` after every earlier task of `key`; resolves or rejects with it. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    // The next task of the key waits for this one however it ends.
    const tail: Promise<void> = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with tasks running or waiting. */
  get size(): number {
    return this.tails.size;
  }
}
