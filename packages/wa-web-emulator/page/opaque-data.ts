/**
 * WhatsApp Web's `WAWebMediaOpaqueData`: a blob of media with a lazily made object URL. whatsapp-web.js
 * builds it with `createFromData`, checks `instanceof` on what preparation returns, and calls `url()`,
 * `autorelease()` and `formData()`. The blob is private so the object crosses into Node as `{}`.
 */
const AUTORELEASE_MS = 60_000;

export class OpaqueData {
  readonly #blob: Blob;
  readonly #name: string | null;
  #url: string | null = null;

  private constructor(blob: Blob, name: string | null) {
    this.#blob = blob;
    this.#name = name;
  }

  static async createFromData(data: Blob, mimetype?: string): Promise<OpaqueData> {
    const typed = mimetype === undefined || mimetype === data.type ? data : new Blob([data], { type: mimetype });
    return new OpaqueData(typed, data instanceof File ? data.name : null);
  }

  /** The file name, when made from a `File` (whatsapp-web.js makes one named after `MessageMedia.filename`). */
  get name(): string | null {
    return this.#name;
  }

  get type(): string {
    return this.#blob.type;
  }

  get size(): number {
    return this.#blob.size;
  }

  blob(): Blob {
    return this.#blob;
  }

  formData(): Blob {
    return this.#blob;
  }

  url(): string {
    this.#url ??= URL.createObjectURL(this.#blob);
    return this.#url;
  }

  /** WhatsApp Web frees the object URL once nothing renders it; a minute is plenty here. */
  autorelease(): void {
    setTimeout(() => this.release(), AUTORELEASE_MS);
  }

  release(): void {
    if (this.#url !== null) URL.revokeObjectURL(this.#url);
    this.#url = null;
  }
}
