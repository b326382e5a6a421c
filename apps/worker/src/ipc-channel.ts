/**
 * The worker's end of the IPC channel: typed sends, and decoding of everything received before it is acted on.
 *
 * Sends are batched per turn of the event loop (turn-batch.ts in the protocol): under a burst of inbound
 * messages, one `worker.batch` carries many events and replies. Order is kept: an event still goes before the
 * reply that acknowledges it.
 */
import { MAX_BATCH, decodeSupervisorMessage, turnBatch } from '@wsm/ipc-protocol/runtime';
import type { SingleSupervisorMessage, SingleWorkerMessage, WorkerMessage } from '@wsm/ipc-protocol';

export interface IpcChannel {
  send(message: SingleWorkerMessage): void;
  /** Sends (after whatever is still batched), then calls back once it has left this process (or the channel is gone). */
  sendThen(message: SingleWorkerMessage, done: () => void): void;
  /**
   * Each message the supervisor sent, one at a time: a `supervisor.batch` is handed over message by message, in
   * order. `details()` of a malformed message names each offending field (it loads the schemas: rare, and async).
   */
  onMessage(handle: (message: SingleSupervisorMessage) => void, onMalformed: (details: () => Promise<string>, raw: unknown) => void): void;
  onDisconnect(handle: () => void): void;
  readonly connected: boolean;
}

export function processChannel(proc: NodeJS.Process = process): IpcChannel {
  const send = proc.send?.bind(proc);
  if (send === undefined) throw new Error('this process has no IPC channel');
  const batch = turnBatch<SingleWorkerMessage, WorkerMessage>(
    // With a callback a send that races the supervisor closing the channel (EPIPE) fails quietly instead of
    // crashing the worker: the 'disconnect' handler then stops it cleanly.
    (message, done) => (proc.connected ? send(message, undefined, {}, () => done()) : done()),
    (messages) => ({ type: 'worker.batch', messages }),
  );
  return {
    send(message) {
      batch.push(message);
    },
    sendThen(message, done) {
      // Whatever is queued goes first, so that pushing this one cannot fill the batch and write it without `done`.
      batch.flush();
      batch.push(message);
      batch.flush(done);
    },
    onMessage(handle, onMalformed) {
      proc.on('message', (raw: unknown) => {
        const decoded = decodeSupervisorMessage(raw);
        if (decoded.ok) {
          if (decoded.value.type !== 'supervisor.batch') handle(decoded.value);
          else for (const message of decoded.value.messages) handle(message);
        } else if (isBatchShaped(raw)) {
          // A malformed batch is taken apart: its sound messages still run, and each malformed command that
          // carries an id is answered as such instead of leaving its sender to time out.
          for (const message of raw.messages) {
            const single = decodeSupervisorMessage(message);
            if (single.ok && single.value.type !== 'supervisor.batch') handle(single.value);
            else onMalformed(single.ok ? async () => 'a supervisor.batch inside a batch' : single.details, message);
          }
        } else onMalformed(decoded.details, raw);
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

const isBatchShaped = (raw: unknown): raw is { messages: unknown[] } =>
  typeof raw === 'object' &&
  raw !== null &&
  (raw as { type?: unknown }).type === 'supervisor.batch' &&
  Array.isArray((raw as { messages?: unknown }).messages) &&
  (raw as { messages: unknown[] }).messages.length <= MAX_BATCH;
