/**
 * The server → page half of one page's line: a Server-Sent Events stream. Commands pushed before the page
 * has opened its stream wait in a backlog; each command resolves when the page acknowledges it (or fails
 * when the page reports an error, goes away, or takes longer than the deadline).
 */
import type { ServerResponse } from 'node:http';
import type { PageCommand, PushedCommand } from '../page/protocol.js';
import { errors } from './errors.js';

interface Waiter {
  what: string;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class PageChannel {
  readonly #clientId: string;
  readonly #backlog: string[] = [];
  readonly #waiting = new Map<number, Waiter>();
  #response: ServerResponse | null = null;
  #seq = 0;
  #closed = false;

  constructor(clientId: string) {
    this.#clientId = clientId;
  }

  get attached(): boolean {
    return this.#response !== null;
  }

  attach(response: ServerResponse): void {
    this.#response?.end();
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    response.write(': connected\n\n');
    this.#response = response;
    for (const frame of this.#backlog.splice(0)) response.write(frame);
  }

  isCurrent(response: ServerResponse): boolean {
    return this.#response === response;
  }

  /** Pushes `command`; resolves once the page has carried it out. */
  push(command: PageCommand, timeoutMs: number): Promise<void> {
    if (this.#closed) return Promise.reject(errors.pageGone(this.#clientId));
    const seq = ++this.#seq;
    const pushed: PushedCommand = { seq, command };
    const frame = `data: ${JSON.stringify(pushed)}\n\n`;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(seq);
        reject(errors.pageTimeout(command.type, timeoutMs));
      }, timeoutMs);
      timer.unref();
      this.#waiting.set(seq, { what: command.type, resolve, reject, timer });
    });
    if (this.#response === null) this.#backlog.push(frame);
    else this.#response.write(frame);
    return done;
  }

  acknowledge(seq: number, error: string | null): void {
    const waiter = this.#waiting.get(seq);
    if (waiter === undefined) return;
    this.#waiting.delete(seq);
    clearTimeout(waiter.timer);
    if (error === null) waiter.resolve();
    else waiter.reject(errors.pageFailed(waiter.what, error));
  }

  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiting.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(errors.pageGone(this.#clientId));
    }
    this.#waiting.clear();
    this.#response?.end();
    this.#response = null;
  }
}
