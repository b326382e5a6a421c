/**
 * The worker's end of the IPC channel: typed sends, and decoding of everything received before it is acted on.
 *
 * Sends are batched: what the worker says in one turn of its event loop leaves at its end (setImmediate, after
 * the promise continuations that send commands' replies) as one `worker.batch`, in order, or alone when it is
 * the only one. Under a burst of inbound messages that is one IPC write and one wake-up of the supervisor for
 * many events and replies, instead of one each. Order is kept: an event still goes before the reply that
 * acknowledges it.
 */
import { MAX_BATCH, decodeSupervisorMessage } from '@wsm/ipc-protocol/runtime';
import type { SingleWorkerMessage, SupervisorMessage, WorkerMessage } from '@wsm/ipc-protocol';

export interface IpcChannel {
  send(message: SingleWorkerMessage): void;
  /** Sends (after whatever is still batched), then calls back once it has left this process (or the channel is gone). */
  sendThen(message: SingleWorkerMessage, done: () => void): void;
  /** `details()` of a malformed message names each offending field (it loads the schemas: rare, and async). */
  onMessage(handle: (message: SupervisorMessage) => void, onMalformed: (details: () => Promise<string>, raw: unknown) => void): void;
  onDisconnect(handle: () => void): void;
  readonly connected: boolean;
}

export function processChannel(proc: NodeJS.Process = process): IpcChannel {
  const send = proc.send?.bind(proc);
  if (send === undefined) throw new Error('this process has no IPC channel');
  let queued: SingleWorkerMessage[] = [];
  let scheduled: NodeJS.Immediate | undefined;
  /** Sends what is queued, as one message; `done` once it has left (or at once when nothing can be sent). */
  const flush = (done: () => void = () => {}): void => {
    if (scheduled !== undefined) clearImmediate(scheduled);
    scheduled = undefined;
    const messages = queued;
    queued = [];
    // With a callback a send that races the supervisor closing the channel (EPIPE) fails quietly instead of
    // crashing the worker: the 'disconnect' handler then stops it cleanly.
    if (messages.length === 0 || !proc.connected) return done();
    const message: WorkerMessage = messages.length === 1 ? messages[0]! : { type: 'worker.batch', messages };
    send(message, undefined, {}, () => done());
  };
  return {
    send(message) {
      queued.push(message);
      if (queued.length >= MAX_BATCH) flush();
      else scheduled ??= setImmediate(() => flush());
    },
    sendThen(message, done) {
      if (queued.length >= MAX_BATCH) flush();
      queued.push(message);
      flush(done);
    },
    onMessage(handle, onMalformed) {
      proc.on('message', (raw: unknown) => {
        const decoded = decodeSupervisorMessage(raw);
        if (decoded.ok) handle(decoded.value);
        else onMalformed(decoded.details, raw);
      });
    },
    onDisconnect(handle) {
      proc.once('disconnect', handle);
    },
    get connected() {
      return proc.connected;
    },
  };
}
