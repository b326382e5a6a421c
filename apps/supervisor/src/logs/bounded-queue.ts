/**
 * A first-in first-out queue of at most `capacity` items that drops its oldest to take a new one: what holds log
 * records while the database is slow or away, so that logging never grows memory without bound.
 *
 * Items are numbered in the order they came (`head` is the oldest held, `tail` the next to come). A writer takes
 * a batch with peek() and removes it with release() only once it is written; if the batch was dropped meanwhile
 * (the queue overflowed during the write), release() removes only what is still there.
 */
export class BoundedQueue<T> {
  readonly capacity: number;
  readonly #slots: Array<T | undefined>;
  #head = 0;
  #tail = 0;
  /** Items dropped to make room, since the queue was made. */
  #dropped = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer; got ${capacity}`);
    this.capacity = capacity;
    this.#slots = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.#tail - this.#head;
  }

  get head(): number {
    return this.#head;
  }

  get tail(): number {
    return this.#tail;
  }

  get dropped(): number {
    return this.#dropped;
  }

  push(item: T): void {
    if (this.size === this.capacity) {
      // The slot of the oldest is the one the new item takes.
      this.#head++;
      this.#dropped++;
    }
    this.#slots[this.#tail % this.capacity] = item;
    this.#tail++;
  }

  /** Up to `count` of the oldest items, and the number of the first. */
  peek(count: number): { from: number; items: T[] } {
    const end = Math.min(this.#tail, this.#head + count);
    const items: T[] = [];
    for (let index = this.#head; index < end; index++) items.push(this.#slots[index % this.capacity] as T);
    return { from: this.#head, items };
  }

  /** Removes every item numbered below `upTo` that is still held. */
  release(upTo: number): void {
    const end = Math.min(upTo, this.#tail);
    // Cleared, so that released items can be collected.
    for (let index = this.#head; index < end; index++) this.#slots[index % this.capacity] = undefined;
    this.#head = Math.max(this.#head, end);
  }
}
