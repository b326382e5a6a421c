/**
 * Per-engine settings carried in `supervisor.start`. Operators set them through configuration;
 * the worker never reads its own environment for them, so one supervisor config drives every worker.
 */
import { Type, type Static } from '@sinclair/typebox';
import { WEB_VERSION_PIN_PATTERN, WEBJS_LIMITS } from './constants.js';

const Millis = Type.Integer({ minimum: 0, maximum: 3_600_000 });
const StageDeadline = Type.Integer({ minimum: WEBJS_LIMITS.timeoutMs.min, maximum: WEBJS_LIMITS.timeoutMs.max });

export const SimulatedOptions = Type.Object(
  {
    /** Delay before a dropped simulated connection comes back. */
    reconnectDelayMs: Type.Optional(Millis),
    /** Delay between a sent message and each of its acks (server, device, read). */
    ackDelayMs: Type.Optional(Millis),
  },
  { additionalProperties: false },
);
export type SimulatedOptions = Static<typeof SimulatedOptions>;

/**
 * Which WhatsApp Web the client loads. Unpinned, it loads the live one and, once a session is ready with it,
 * keeps that version's index page in `store` as the last one that worked. Pinned, it loads the given version
 * (or the last that worked) from `store`, else from `remoteUrl`; a pinned version found nowhere fails the start.
 */
export const WebVersionOptions = Type.Object(
  {
    /** A version such as `2.3000.1017054665`, or `last-working`; absent: the live version. */
    pin: Type.Optional(Type.String({ pattern: WEB_VERSION_PIN_PATTERN })),
    /** Absolute directory of saved index pages, `<version>.html`, and `last-working`. */
    store: Type.String({ minLength: 2, pattern: '^/' }),
    /** Where a pinned version not in `store` is fetched from: a URL with `{version}` in it. */
    remoteUrl: Type.Optional(Type.String({ minLength: 1, pattern: '\\{version\\}' })),
  },
  { additionalProperties: false },
);
export type WebVersionOptions = Static<typeof WebVersionOptions>;

export const WebjsOptions = Type.Object(
  {
    /** The Chromium executable; found on the machine when absent. */
    chromiumPath: Type.Optional(Type.String({ minLength: 1 })),
    /** Appended to the engine's own lean flags (an operator's, or an emulator's host mapping). */
    chromiumArgs: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /** This session's proxy, e.g. `http://user:pass@host:3128` or `socks5://host:1080`. */
    proxy: Type.Optional(Type.String({ minLength: 1 })),
    /** Stage deadlines: Chromium started; WhatsApp Web loaded (to a QR or to authenticated); authenticated → ready. */
    launchTimeoutMs: Type.Optional(StageDeadline),
    loadTimeoutMs: Type.Optional(StageDeadline),
    readyTimeoutMs: Type.Optional(StageDeadline),
    /** QR codes shown (the first included) before the session fails; WhatsApp refreshes one about every 20 s. */
    qrMaxAttempts: Type.Optional(
      Type.Integer({ minimum: WEBJS_LIMITS.qrMaxAttempts.min, maximum: WEBJS_LIMITS.qrMaxAttempts.max }),
    ),
    webVersion: Type.Optional(WebVersionOptions),
  },
  { additionalProperties: false },
);
export type WebjsOptions = Static<typeof WebjsOptions>;

export const EngineSettings = Type.Union([
  Type.Object(
    { engine: Type.Literal('simulated'), options: SimulatedOptions },
    { additionalProperties: false },
  ),
  Type.Object({ engine: Type.Literal('webjs'), options: WebjsOptions }, { additionalProperties: false }),
]);
export type EngineSettings = Static<typeof EngineSettings>;
