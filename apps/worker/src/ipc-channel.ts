/**
 * The worker's end of the IPC channel: typed sends, and decoding of everything received before it is acted on.
 */
import { decodeSupervisorMessage } from '@wsm/ipc-protocol/runtime';
import type { SupervisorMessage, WorkerMessage } from '@wsm/ipc-protocol';

export interface IpcChannel {
  send(message: WorkerMessage): void;
  /** Sends, then calls back once the message has left this process (or the channel is gone). */
  sendThen(message: WorkerMessage, done: () => void): void;
  /** `details()` of a malformed message names each offending field (it loads the schemas: rare, and async). */
  onMessage(handle: (message: SupervisorMessage) => void, onMalformed: (details: () => Promise<string>, raw: unknown) => void): void;
  onDisconnect(handle: () => void): void;
  readonly connected: boolean;
}

export function processChannel(proc: NodeJS.Process = process): IpcChannel {
  const send = proc.send?.bind(proc);
  if (send === undefined) throw new Error('this process has no IPC channel');
  return {
    send(message) {
      // With a callback a send that races the supervisor closing the channel (EPIPE) fails quietly instead of
      // crashing the worker: the 'disconnect' handler then stops it cleanly.
      if (proc.connected) send(message, undefined, {}, () => {});
    },
    sendThen(message, done) {
      if (!proc.connected) return done();
      send(message, undefined, {}, () => done());
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
