/**
 * What statuses and error codes mean, in words for the person at the dashboard (docs/api.md has the same tables).
 * Keyed by the API's own unions: a status or a lastError code added to the supervisor fails the type-check here
 * until it is explained.
 */
import type { LastError, LastErrorCodeName, SessionStatus } from './api-types.js';

export const STATUS_WORDS: Readonly<Record<SessionStatus, string>> = {
  starting: 'Starting: the worker is up and WhatsApp is loading',
  qr: 'Waiting for the phone: scan the QR code or use a pairing code',
  authenticated: 'The phone accepted: WhatsApp is loading',
  ready: 'Connected: sends and receives messages',
  disconnected: 'Connection dropped: recovering by itself',
  backoff: 'The worker died: a restart is scheduled',
  stopping: 'Stopping',
  stopped: 'Stopped',
  failed: 'Gave up: needs a start',
};

/** Every status, in lifecycle order (for the filter and the counts). */
export const STATUSES = Object.keys(STATUS_WORDS) as SessionStatus[];

const ERROR_WORDS: Readonly<Record<LastErrorCodeName, string>> = {
  WSM_WORKER_CRASHED: 'The worker process exited unexpectedly; it is restarted with backoff.',
  WSM_HEARTBEAT_TIMEOUT: 'The worker stopped answering and was killed; it is restarted with backoff.',
  WSM_SPAWN_FAILED: 'The worker process could not be started.',
  WSM_LEASE_EXPIRED: 'Its node could not renew the session’s lease in time; another node takes it over.',
  WSM_CRASH_LOOP: 'It crashed too many times in a row and was given up: start it again once the cause is fixed.',
  WSM_IPC_PROTOCOL_ERROR: 'The worker speaks another protocol version (a mixed deployment).',
  WSM_PROTOCOL_MISMATCH: 'The worker speaks another protocol version (a mixed deployment).',
  WSM_AUTH_DATA_CORRUPT: 'The saved pairing is unreadable: log out and link the phone again.',
  WSM_CHROMIUM_NOT_FOUND: 'Chromium was not found on this machine: set CHROMIUM_PATH to its executable.',
  WSM_PROFILE_IN_USE: 'Its browser profile is held by a browser that would not die.',
  WSM_ENGINE_UNAVAILABLE: 'The engine cannot run on this machine.',
  WSM_BROWSER_LAUNCH_FAILED: 'Chromium did not start (or the proxy is not a URL).',
  WSM_WEB_UNREACHABLE: 'WhatsApp Web could not be loaded: network, DNS or proxy.',
  WSM_LOAD_TIMEOUT: 'WhatsApp Web showed neither a QR code nor a restored session in time.',
  WSM_READY_TIMEOUT: 'Authenticated, but WhatsApp did not finish loading in time.',
  WSM_DISCONNECTED: 'WhatsApp closed the connection; it is restarted with backoff.',
  WSM_WEB_VERSION_UNAVAILABLE: 'The WhatsApp Web version it is pinned to (WEB_VERSION) is not available.',
  WSM_QR_ATTEMPTS_EXHAUSTED: 'No phone scanned any of its QR codes: start it again to show new ones.',
  WSM_LOGGED_OUT: 'The device was unlinked from the phone: start it and link it again.',
  WSM_SESSION_REPLACED: 'Another connection of the same linked device took the account over.',
  WSM_ENGINE_FAILED: 'The engine failed to start.',
  // Codes of command refusals, which never end up in lastError; worded for completeness.
  WSM_SESSION_NOT_READY: 'The session was not ready.',
  WSM_QR_NOT_AVAILABLE: 'There was no QR code to show.',
  WSM_NOT_SIMULATED: 'Not a simulated session.',
  WSM_NOT_WEBJS: 'Not a webjs session.',
  WSM_UNSUPPORTED_COMMAND: 'The worker did not know the command.',
  WSM_IPC_MALFORMED_MESSAGE: 'The worker refused a malformed command.',
  WSM_WORKER_NOT_STARTED: 'The engine was not started yet.',
  WSM_MESSAGE_NOT_FOUND: 'The message was not found.',
  WSM_MEDIA_NOT_FOUND: 'The message has no media.',
  WSM_MEDIA_EXPIRED: 'The media is no longer available.',
  WSM_MEDIA_REJECTED: 'WhatsApp Web refused the media.',
};

/** A lastError in words: what it means, or its own message for a code the dashboard does not know. */
export function errorInWords(error: LastError): string {
  return (ERROR_WORDS as Readonly<Record<string, string>>)[error.code] ?? error.message;
}
