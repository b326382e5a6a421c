/**
 * Commands to one worker over IPC: a correlation id each, a deadline each, and the reply checked against the
 * command's result schema before anyone sees it. When the worker goes, every command still waiting is
 * rejected at once rather than left to its deadline.
 */
import type { Logger } from 'pino';
import {
  decodeCommandResult,
  type CommandName,
  type CommandParams,
  type CommandResult,
  type SingleSupervisorMessage,
  type WorkerMessage,
} from '@wsm/ipc-protocol';
import { WorkerError, WorkerFailure, workerUnavailable } from './worker-errors.js';

interface Pending {
  name: CommandName;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

type Reply = Extract<WorkerMessage, { type: 'worker.reply' }>;

export class CommandChannel {
  readonly #sessionId: string;
  readonly #send: (message: SingleSupervisorMessage) => void;
  readonly #log: Logger;
  readonly #pending = new Map<string, Pending>();
  #nextId = 0;

  constructor(sessionId: string, send: (message: SingleSupervisorMessage) => void, log: Logger) {
    this.#sessionId = sessionId;
    this.#send = send;
    this.#log = log;
  }

  request<N extends CommandName>(name: N, params: CommandParams<N>, timeoutMs: number): Promise<CommandResult<N>> {
    const id = String(++this.#nextId);
    return new Promise<CommandResult<N>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new WorkerError(
            WorkerFailure.TIMEOUT,
            `Session '${this.#sessionId}' did not answer '${name}' within ${timeoutMs} ms`,
            this.#sessionId,
            name,
          ),
        );
      }, timeoutMs);
      this.#pending.set(id, { name, resolve: resolve as (result: unknown) => void, reject, timer });
      this.#send({ type: `command.${name}`, id, params } as SingleSupervisorMessage);
    });
  }

  settle(reply: Reply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) {
      this.#log.warn({ id: reply.id }, 'reply to no pending command (it timed out?)');
      return;
    }
    this.#pending.delete(reply.id);
    clearTimeout(pending.timer);
    if (!reply.ok) {
      pending.reject(new WorkerError(reply.error.code, reply.error.message, this.#sessionId, pending.name));
      return;
    }
    const result = decodeCommandResult(pending.name, reply.result);
    if (result.ok) {
      pending.resolve(result.value);
      return;
    }
    void result.details().then((detail) =>
      pending.reject(
        new WorkerError(
          WorkerFailure.MALFORMED_RESULT,
          `Session '${this.#sessionId}' failed '${pending.name}': ${detail}`,
          this.#sessionId,
          pending.name,
        ),
      ),
    );
  }

  /** The worker is gone: every command still waiting fails now. */
  closeAll(why: string): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(workerUnavailable(this.#sessionId, why));
      this.#pending.delete(id);
    }
  }
}
