/** An append-only list of what happened, handed out as copies (reactions, revokes, read receipts). */
export class RecordLog<T extends object> {
  readonly #records: T[] = [];

  add(record: T): void {
    this.#records.push(record);
  }

  all(): T[] {
    return this.#records.map((record) => ({ ...record }));
  }
}
