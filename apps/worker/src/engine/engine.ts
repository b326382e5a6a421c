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
  MediaInfo,
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

/** Media to send: a file the supervisor spooled (the engine only reads it) and how to send it. */
export interface MediaToSend {
  path: string;
  mimetype: string;
  filename: string | null;
  size: number;
  caption?: string;
  asDocument: boolean;
  asVoice: boolean;
  asSticker: boolean;
}

export interface SendOptions {
  /** Quote this message; an id the client does not know is a WSM_MESSAGE_NOT_FOUND, never a silent plain send. */
  replyTo?: string;
}

/** What another party sends in `simulator.inbound`: a text, or media with `text` as its caption. */
export interface SimulatedInbound {
  text?: string;
  media?: { path: string; mimetype: string; filename: string | null; size: number };
  replyTo?: string;
}

/** What only the simulated engine can do: act as the phone, the other party and the network. */
export interface Simulator {
  scan(): Promise<Me>;
  inbound(from: string, message: SimulatedInbound): Promise<InboundMessage>;
  reaction(messageId: string, emoji: string, from: string): Promise<void>;
  revoke(messageId: string): Promise<void>;
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
  sendText(to: string, text: string, options: SendOptions): Promise<SentMessage>;
  sendMedia(to: string, media: MediaToSend, options: SendOptions): Promise<SentMessage>;
  /**
   * Writes the media of a message (received or sent) to `path`, a file that does not exist yet, and describes
   * it. WSM_MESSAGE_NOT_FOUND, WSM_MEDIA_NOT_FOUND (no media) or WSM_MEDIA_EXPIRED (WhatsApp lost the bytes).
   */
  downloadMedia(messageId: string, path: string): Promise<MediaInfo>;
  /** An empty emoji removes this session's reaction. */
  react(messageId: string, emoji: string): Promise<void>;
  markRead(chatId: string): Promise<void>;
  checkNumber(phone: string): Promise<{ exists: boolean; id: string | null }>;
  /** webjs only (the simulated engine has no page): a PNG of WhatsApp Web. */
  screenshot?(): Promise<Buffer>;
  /** Unlinks the device and deletes the session's auth data. */
  logout(): Promise<void>;
  /** Last resort when the worker exits without `stop()`: kill whatever the engine started, synchronously. */
  killNow?(): void;
  readonly simulator?: Simulator;
}
