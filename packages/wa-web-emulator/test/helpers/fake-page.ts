/**
 * A page without Chromium: speaks the emulated page's protocol (page/protocol.ts) over HTTPS — hello, the
 * event stream, acks — so that the server's side of linking and overlaps can be tested in milliseconds.
 * It carries out nothing; it acknowledges every command and keeps it.
 */
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { Agent, request, type RequestOptions } from 'node:https';
import type { DeviceKeys, HelloReply, PageCommand, PushedCommand } from '../../page/protocol.js';
import { PAGE_PREFIX } from '../../src/index-html.js';

const KEYS: DeviceKeys = { staticKey: 'c3RhdGlj', identityKey: 'aWRlbnRpdHk=', advSecret: 'YWR2', platform: 'WEB' };
// The emulator's certificate is self-signed; these pages never leave 127.0.0.1. Their own agent: sockets and
// TLS sessions shared with a test's pinned calls would let those resume without showing a certificate.
const TLS: RequestOptions = { agent: new Agent({ rejectUnauthorized: false }) };

async function postJson(origin: string, op: string, body: unknown): Promise<unknown> {
  const req = request(new URL(`${PAGE_PREFIX}/${op}`, origin), { ...TLS, method: 'POST', headers: { 'content-type': 'application/json' } });
  req.end(JSON.stringify(body));
  const [response] = (await once(req, 'response')) as [IncomingMessage];
  let text = '';
  for await (const chunk of response) text += String(chunk);
  if (response.statusCode !== 200) throw new Error(`${op}: ${response.statusCode} ${text}`);
  return JSON.parse(text) as unknown;
}

export class FakePage {
  readonly reply: HelloReply;
  readonly commands: PageCommand[] = [];
  readonly #origin: string;
  readonly #events: IncomingMessage;
  readonly #waiters: Array<() => void> = [];

  private constructor(origin: string, reply: HelloReply, events: IncomingMessage) {
    this.#origin = origin;
    this.reply = reply;
    this.#events = events;
    let buffer = '';
    events.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      const frames = buffer.split('\n\n');
      buffer = frames.pop() ?? '';
      for (const frame of frames) if (frame.startsWith('data: ')) void this.#onCommand(JSON.parse(frame.slice('data: '.length)) as PushedCommand);
    });
  }

  /** Says hello (with a device token to come back as a paired device) and opens the event stream. */
  static async connect(origin: string, token: string | null): Promise<FakePage> {
    const reply = (await postJson(origin, 'hello', { clientId: null, token, keys: KEYS })) as HelloReply;
    const req = request(new URL(`${PAGE_PREFIX}/events?clientId=${encodeURIComponent(reply.clientId)}`, origin), { ...TLS, method: 'GET' });
    req.end();
    const [events] = (await once(req, 'response')) as [IncomingMessage];
    return new FakePage(origin, reply, events);
  }

  get clientId(): string {
    return this.reply.clientId;
  }

  /** The QR an unpaired page shows. */
  get qr(): string {
    if (this.reply.status !== 'unpaired') throw new Error(`page ${this.clientId} is paired`);
    return [this.reply.ref, KEYS.staticKey, KEYS.identityKey, KEYS.advSecret, KEYS.platform].join(',');
  }

  /** The device token the emulator gave this page when it was paired. */
  get token(): string {
    const paired = this.commands.find((command) => command.type === 'paired');
    if (paired === undefined) throw new Error(`page ${this.clientId} was not paired`);
    return paired.token;
  }

  /** Resolves once a command of this type has come. */
  async waitForCommand<T extends PageCommand['type']>(type: T): Promise<Extract<PageCommand, { type: T }>> {
    for (;;) {
      const found = this.commands.find((command): command is Extract<PageCommand, { type: T }> => command.type === type);
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** The page goes away: its event stream closes, as when a browser closes. */
  close(): void {
    this.#events.destroy();
  }

  async #onCommand({ seq, command }: PushedCommand): Promise<void> {
    this.commands.push(command);
    for (const wake of this.#waiters.splice(0)) wake();
    await postJson(this.#origin, 'ack', { clientId: this.clientId, seq, error: null });
  }
}
