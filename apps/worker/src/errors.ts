import { WorkerErrorCode } from '@wsm/ipc-protocol/runtime';
import type { CodedError } from '@wsm/ipc-protocol';

/** An error the worker reports with a stable code; anything else becomes WSM_ENGINE_FAILED. */
export class WorkerError extends Error {
  readonly code: WorkerErrorCode;
  constructor(code: WorkerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkerError';
    this.code = code;
  }
}

export function toCodedError(error: unknown): CodedError {
  if (error instanceof WorkerError) return { code: error.code, message: error.message };
  // whatsapp-web.js throws bare strings on some paths ('auth timeout'): keep their text.
  const message = error instanceof Error ? error.message : String(error);
  return { code: WorkerErrorCode.ENGINE_FAILED, message: message.slice(0, 4096) };
}
