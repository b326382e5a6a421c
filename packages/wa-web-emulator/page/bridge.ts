/**
 * The page's line to the emulator's server: same-origin POSTs, one at a time, for what it reports; one
 * EventSource for what the server pushes.
 */
import type { PageOps, PushedCommand } from './protocol.js';

// the server serves this module from its page prefix (/__emulator/page/bridge.js), which the page thus never hardcodes
const PAGE_PREFIX = new URL('.', import.meta.url).pathname.replace(/\/$/, '');

let queue: Promise<unknown> = Promise.resolve();

/**
 * Sends a report after every earlier one has been answered, so the server sees them in the order they
 * happened (a state change before the ack of the command that caused it, a missing module before the send
 * that needed it); concurrent fetches could overtake each other.
 */
export function post<K extends keyof PageOps>(op: K, body: PageOps[K]): Promise<unknown> {
  const sent = queue.then(() => send(op, body));
  queue = sent.catch(() => undefined);
  return sent;
}

/** `post` for reports nobody waits on: a failure is logged on the page's console. */
export function report<K extends keyof PageOps>(op: K, body: PageOps[K]): void {
  post(op, body).catch((error: unknown) => console.error(error));
}

async function send<K extends keyof PageOps>(op: K, body: PageOps[K]): Promise<unknown> {
  const response = await fetch(`${PAGE_PREFIX}/${op}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const parsed: unknown = text === '' ? null : JSON.parse(text);
  if (!response.ok) {
    const message = (parsed as { error?: { message?: string } } | null)?.error?.message ?? response.statusText;
    throw new Error(`${op}: ${message}`);
  }
  return parsed;
}

export function openCommands(clientId: string, onCommand: (pushed: PushedCommand) => void, onLost: () => void): EventSource {
  const source = new EventSource(`${PAGE_PREFIX}/events?clientId=${encodeURIComponent(clientId)}`);
  source.addEventListener('message', (event: MessageEvent<string>) => onCommand(JSON.parse(event.data) as PushedCommand));
  // EventSource retries by itself; CLOSED means the server no longer knows this page (e.g. it was restarted)
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) onLost();
  });
  return source;
}
