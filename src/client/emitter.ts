/** Event name → listener arguments. */
export type EventMap = { [event: string]: unknown[] };

export type Listener<A extends unknown[]> = (...args: A) => void;

/**
 * A small typed event emitter that runs in browsers and Node alike (the client must not import
 * Node's `events`). A listener that throws does not stop the others or the client: its error is
 * rethrown on a fresh task, where it surfaces as an uncaught error as it would from any callback.
 */
export class TypedEmitter<E extends EventMap> {
  private readonly listeners: { [K in keyof E]?: Set<Listener<E[K]>> } = {};

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    (this.listeners[event] ??= new Set()).add(listener);
    return this;
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    this.listeners[event]?.delete(listener);
    return this;
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const wrapper = (...args: E[K]) => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  /** Number of listeners of an event. */
  listenerCount(event: keyof E): number {
    return this.listeners[event]?.size ?? 0;
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.listeners[event];
    if (!set) return;
    // A copy: listeners may remove themselves (once) or others while we iterate.
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (err) {
        setTimeout(() => {
          throw err;
        }, 0);
      }
    }
  }
}
