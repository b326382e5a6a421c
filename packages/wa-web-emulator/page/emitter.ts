/**
 * The event surface WhatsApp Web's models have and whatsapp-web.js relies on: Backbone-style `on`/`off`/`once`
 * taking space-separated event names, listeners called with the model first, and a way for the emulator to
 * learn when someone starts listening (it must not flip `hasSynced` before whatsapp-web.js listens for it).
 */
export type Listener = (...args: any[]) => unknown;

export class Emitter {
  readonly #listeners = new Map<string, Listener[]>();
  readonly #awaiting = new Map<string, Array<() => void>>();
  #forwardTo: Emitter | undefined;

  on(events: string, listener: Listener): this {
    for (const event of events.split(/\s+/).filter(Boolean)) {
      this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
      for (const wake of this.#awaiting.get(event) ?? []) wake();
      this.#awaiting.delete(event);
    }
    return this;
  }

  off(events?: string, listener?: Listener): this {
    if (events === undefined) {
      this.#listeners.clear();
      return this;
    }
    for (const event of events.split(/\s+/).filter(Boolean)) {
      const kept = listener === undefined ? [] : (this.#listeners.get(event) ?? []).filter((l) => l !== listener);
      this.#listeners.set(event, kept);
    }
    return this;
  }

  once(events: string, listener: Listener): this {
    const wrapped: Listener = (...args) => {
      this.off(events, wrapped);
      return listener(...args);
    };
    return this.on(events, wrapped);
  }

  /** Calls the listeners of `event`, then those of the collection this model belongs to (as Backbone does). */
  trigger(event: string, ...args: unknown[]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        listener(...args);
      } catch (error) {
        // one failing listener must not starve the others, as in WhatsApp Web's own emitter
        console.error(`listener of ${event} failed`, error);
      }
    }
    this.#forwardTo?.trigger(event, ...args);
  }

  listenerCount(event: string): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /** Resolves once `event` has a listener (at once if it already has one). */
  whenListened(event: string): Promise<void> {
    if (this.listenerCount(event) > 0) return Promise.resolve();
    return new Promise((resolve) => this.#awaiting.set(event, [...(this.#awaiting.get(event) ?? []), resolve]));
  }

  forwardEventsTo(target: Emitter | undefined): void {
    this.#forwardTo = target;
  }
}
