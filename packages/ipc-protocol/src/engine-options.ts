/**
 * Per-engine settings carried in `supervisor.start`. Operators set them through configuration;
 * the worker never reads its own environment for them, so one supervisor config drives every worker.
 */
import { Type, type Static } from '@sinclair/typebox';

const Millis = Type.Integer({ minimum: 0, maximum: 3_600_000 });

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
    chromiumPath: Type.Optional(Type.String({ minLength: 1 })),
    chromiumArgs: Type.Optional(Type.Array(Type.String())),
    proxy: Type.Optional(Type.String({ minLength: 1 })),
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
