/**
 * Per-engine settings carried in `supervisor.start`. Operators set them through configuration;
 * the worker never reads its own environment for them, so one supervisor config drives every worker.
 */
import { Type, type Static } from '@sinclair/typebox';
import { WEBJS_LIMITS } from './constants.js';

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
