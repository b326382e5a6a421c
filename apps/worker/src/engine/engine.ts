/**
 * The boundary between the worker and a WhatsApp client. `simulated` and `webjs` implement it; the rest of the
 * worker (IPC, heartbeats, the terminal runner) never knows which one it drives.
 *
 * An engine reports through its sink, never by throwing from a callback: status changes in the order
 * starting → (qr →) authenticated → ready (→ disconnected → ready ...), where a QR code (first or refreshed)
 * stands for the `qr` status; message events; the browser it started; and `fatal` for a failure the engine
 * cannot recover from (`retry: false` when a restart would fail the same way).
 */
import type {
  BrowserProcess,
  CodedError,
  EngineEvent,
  EngineSettings,
  EngineStatus,
  InboundMessage,
  Me,
  SentMessage,
} from '@wsm/ipc-protocol';
import type { Log } from '../log.js';

export interface EngineSink {
  status(status: EngineStatus, info?: { reason?: string; me?: Me }): void;
  /** The session waits for the phone: show this code (attempt 1, then each refresh). */
  qr(qr: string, attempt: number): void;
  event(event: EngineEvent): void;
  /** Loading progress of the client (WhatsApp Web's loading screen), 0..100. */
  progress(percent: number, message: string): void;
  browser(browser: BrowserProcess | null): void;
  fatal(error: CodedError, retry: boolean): void;
}

export interface EngineContext {
  sessionId: string;
  /** Absolute, already validated; the engine writes nothing outside it. */
  sessionDir: string;
  settings: EngineSettings;
  log: Log;
  sink: EngineSink;
}

/** What only the simulated engine can do: act as the phone, the other party and the network. */
export interface Simulator {
  scan(): Promise<Me>;
  inbound(from: string, text: string): Promise<InboundMessage>;
  disconnect(): Promise<void>;
  /** Holds `megabytes` more memory until the engine stops; answers the total held. */
  allocate(megabytes: number): Promise<number>;
}

export interface Engine {
  /** Resolves once the client is initialising; progress arrives through the sink. */
  start(): Promise<void>;
  /** Releases everything the engine holds (timers, browser), keeping the pairing. */
  stop(): Promise<void>;
  requestPairingCode(phoneNumber: string): Promise<string>;
  sendText(to: string, text: string): Promise<SentMessage>;
  /** Unlinks the device and deletes the session's auth data. */
  logout(): Promise<void>;
  /** Last resort when the worker exits without `stop()`: kill whatever the engine started, synchronously. */
  killNow?(): void;
  readonly simulator?: Simulator;
}
