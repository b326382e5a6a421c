/**
 * What the supervisor logs of each HTTP request, and what that costs a request that logs nothing.
 *
 * - Fastify logs "incoming request" and "request completed" at `info`: with LOG_LEVEL at its default (`info`)
 *   that was two JSON lines per request, +53 % of the supervisor's CPU per keyed GET (bench: 129 vs 84 µs) for
 *   lines that say what the HTTP metrics already count. They are `debug` lines here: LOG_LEVEL=debug shows
 *   every request. A request that fails still logs at `info` (refused) or `error` (5xx) from the error handler.
 * - Fastify gives every request a child logger bound to its id; pino builds a child's bindings eagerly, for
 *   the few requests that log anything. The child here is made on the first line actually written.
 */
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino';

export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

type LogMethod = FastifyBaseLogger['info'];

/**
 * A request's logger: its level and methods are the parent's until a line at an enabled level is written, which
 * makes the real child (once). Lines below the level cost one comparison, as in pino itself.
 */
class LazyChildLogger {
  readonly #parent: Logger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;
  #child: Logger | undefined;

  constructor(parent: Logger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): Logger {
    this.#child ??= this.#parent.child(this.#bindings, this.#options);
    return this.#child;
  }

  #write(level: Level, args: Parameters<LogMethod>): void {
    if (this.#child === undefined && !this.#parent.isLevelEnabled(level)) return;
    (this.#real()[level] as (...line: unknown[]) => void)(...args);
  }

  get level(): string {
    return (this.#child ?? this.#parent).level;
  }

  set level(level: string) {
    this.#real().level = level;
  }

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.#parent).isLevelEnabled(level);
  }

  // On the prototype, not one closure per method per request.
  fatal(...args: Parameters<LogMethod>): void {
    this.#write('fatal', args);
  }

  error(...args: Parameters<LogMethod>): void {
    this.#write('error', args);
  }

  warn(...args: Parameters<LogMethod>): void {
    this.#write('warn', args);
  }

  info(...args: Parameters<LogMethod>): void {
    this.#write('info', args);
  }

  debug(...args: Parameters<LogMethod>): void {
    this.#write('debug', args);
  }

  trace(...args: Parameters<LogMethod>): void {
    this.#write('trace', args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: the per-request logger, made lazily. The app's logger is pino (logger.ts). */
export function lazyChildLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new LazyChildLogger(logger as Logger, bindings, options) as unknown as FastifyBaseLogger;
}
