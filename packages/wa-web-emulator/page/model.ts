/**
 * Just enough of WhatsApp Web's Backbone-like models for whatsapp-web.js: attributes read and written as
 * properties, `change:<attr>` (model, value, previous) then `change` (model) on writes, `serialize()`, and
 * collections keyed by `id._serialized` that re-emit their models' events and emit `add`/`remove`.
 */
import { Emitter } from './emitter.js';

export type Attributes = Record<string, unknown>;

export class Model extends Emitter {
  readonly #attributes: Attributes = {};

  constructor(attributes: Attributes = {}) {
    super();
    this.set(attributes, { silent: true });
  }

  get(key: string): unknown {
    return this.#attributes[key];
  }

  set(attributes: Attributes, options: { silent?: boolean } = {}): this {
    const changed: Array<[string, unknown, unknown]> = [];
    for (const [key, value] of Object.entries(attributes)) {
      if (!(key in this.#attributes)) this.#defineAccessor(key);
      const previous = this.#attributes[key];
      if (previous === value) continue;
      this.#attributes[key] = value;
      changed.push([key, value, previous]);
    }
    if (options.silent === true || changed.length === 0) return this;
    for (const [key, value, previous] of changed) this.trigger(`change:${key}`, this, value, previous);
    this.trigger('change', this);
    return this;
  }

  serialize(): Attributes {
    return { ...this.#attributes };
  }

  /** WhatsApp Web hands out "unsafe" raw models to some utilities; ours are already raw. */
  unsafe(): this {
    return this;
  }

  // Attributes are own enumerable accessors so `msg.ack = 3` notifies and JSON.stringify sees plain data.
  #defineAccessor(key: string): void {
    Object.defineProperty(this, key, {
      enumerable: true,
      configurable: true,
      get: () => this.#attributes[key],
      set: (value: unknown) => this.set({ [key]: value }),
    });
  }
}

export interface Keyed {
  _serialized: string;
}

export const keyOf = (id: unknown): string =>
  typeof id === 'string' ? id : typeof id === 'object' && id !== null && '_serialized' in id ? String((id as Keyed)._serialized) : String(id);

export class Collection<M extends Model> extends Emitter {
  readonly #models = new Map<string, M>();
  readonly modelClass: new (attributes: Attributes) => M;
  readonly #create: ((id: unknown) => M) | undefined;

  /** `create` makes a missing model on `find` (contacts and chats exist for any id; messages do not). */
  constructor(modelClass: new (attributes: Attributes) => M, create?: (id: unknown) => M) {
    super();
    this.modelClass = modelClass;
    this.#create = create;
  }

  get(id: unknown): M | undefined {
    return this.#models.get(keyOf(id));
  }

  add(model: M): M {
    const key = keyOf(model.get('id'));
    const existing = this.#models.get(key);
    if (existing !== undefined) return existing;
    this.#models.set(key, model);
    model.forwardEventsTo(this);
    this.trigger('add', model, this);
    return model;
  }

  remove(id: unknown): M | undefined {
    const model = this.get(id);
    if (model === undefined) return undefined;
    this.#models.delete(keyOf(id));
    model.forwardEventsTo(undefined);
    this.trigger('remove', model, this);
    return model;
  }

  async find(id: unknown): Promise<M> {
    const found = this.get(id) ?? (this.#create === undefined ? undefined : this.add(this.#create(id)));
    if (found === undefined) throw new Error(`${keyOf(id)} not found`);
    return found;
  }

  async getMessagesById(ids: unknown[]): Promise<{ messages: M[] }> {
    return { messages: ids.map((id) => this.get(id)).filter((model): model is M => model !== undefined) };
  }

  getModelsArray(): M[] {
    return [...this.#models.values()];
  }

  get length(): number {
    return this.#models.size;
  }
}
