/**
 * The real WhatsApp client: whatsapp-web.js driving Chromium through puppeteer-core, mapped onto the contract.
 *
 *   initialize ──▶ qr (refreshes, at most qrMaxAttempts) ──▶ authenticated ──▶ ready ◀──▶ disconnected
 *        │ load deadline                                         │ ready deadline
 *        └──────────────── fatal (WSM_LOAD_TIMEOUT, ...) ◀────────┘ (WSM_READY_TIMEOUT)
 *
 * whatsapp-web.js has silent hangs: its navigation has no timeout, `'auth timeout'` is thrown as a string,
 * and `ready` may never follow `authenticated`. Every stage therefore runs under a deadline of ours, and each
 * failure becomes one coded `fatal` (a restart usually helps, so `retry: true`, except where it cannot).
 * Those deadlines count only time the session could run (stage-deadline.ts): a burst of launches that starves
 * the machine makes stages slow, not failed. The libraries' own wall-clock timers for the same stages (puppeteer's
 * launch timeout, whatsapp-web.js's auth timeout, puppeteer's per-call protocol timeout) are set to the starved
 * limit, so ours decide.
 *
 * Chromium runs with `pipe: true`: when this worker dies, its end of the pipe closes and Chromium exits by
 * itself. Its pid and process group are reported to the supervisor, which kills the group too.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import wwebjs from 'whatsapp-web.js';
import { WEBJS_DEFAULTS, WorkerErrorCode } from '@wsm/ipc-protocol/runtime';
import type { CodedError, EngineEvent, MediaInfo, Me, SentMessage, WebjsOptions } from '@wsm/ipc-protocol';
import { SESSION_ENV, signalGroup } from '@wsm/procfs';
import { WorkerError, toCodedError } from '../../errors.js';
import type { Engine, EngineContext, MediaToSend, SendOptions } from '../engine.js';
import { browserDirs, browserEnv, prepareBrowserDirs } from './browser-dirs.js';
import { findChromium, leanChromiumArgs, proxySettings, VIEWPORT } from './chromium.js';
import { releaseStaleProfileLock } from './profile-lock.js';
import { planWebVersion, rememberWorkingVersion, type WebVersionPlan } from './web-version.js';
import * as messages from './webjs-messages.js';
import { STARVED_LIMIT } from '../runnable-clock.js';
import { StageDeadline, type StageExpiry } from '../stage-deadline.js';

const { Client, LocalAuth } = wwebjs;
type WebjsClient = InstanceType<typeof Client>;

const DEFAULTS = { ...WEBJS_DEFAULTS, stopTimeoutMs: 5000 } as const;

/** Connection states in which WhatsApp Web is (re)connecting rather than gone. */
const CONNECTED = 'CONNECTED';

type Stage = 'initializing' | 'qr' | 'authenticated' | 'ready' | 'disconnected' | 'stopped';

/**
 * LocalAuth that also tells us the browser as soon as it exists, before `initialize()` can hang.
 * (The typings declare the hook as a property, so it is wrapped on the instance rather than overridden.)
 */
function reportingLocalAuth(dataPath: string, onBrowser: () => void): InstanceType<typeof LocalAuth> {
  const auth = new LocalAuth({ dataPath });
  const afterBrowserInitialized = auth.afterBrowserInitialized.bind(auth);
  auth.afterBrowserInitialized = async () => {
    await afterBrowserInitialized();
    onBrowser();
  };
  return auth;
}

export class WebjsEngine implements Engine {
  readonly #context: EngineContext;
  readonly #options: Required<Omit<WebjsOptions, 'chromiumPath' | 'chromiumArgs' | 'proxy' | 'webVersion'>> & WebjsOptions;
  #webVersion: WebVersionPlan | undefined;
  readonly #authDir: string;
  #client: WebjsClient | undefined;
  #browserPid: number | undefined;
  #stage: Stage = 'initializing';
  #qrAttempts = 0;
  /** The current stage's deadline: launch + load until the first QR or session, then ready after `authenticated`. */
  readonly #deadline = new StageDeadline();
  /** Chromium's launch, until it is up (BROWSER_LAUNCH_FAILED, as puppeteer's own timeout would say). */
  readonly #launchDeadline = new StageDeadline();
  #failed = false;
  /** Events leave in the order whatsapp-web.js emitted them, even when one needs a page round trip first. */
  #events: Promise<void> = Promise.resolve();

  constructor(context: EngineContext) {
    this.#context = context;
    const options = context.settings.engine === 'webjs' ? context.settings.options : {};
    this.#options = { ...DEFAULTS, ...options };
    this.#authDir = join(context.sessionDir, 'webjs');
  }

  async start(): Promise<void> {
    const { log, sessionId } = this.#context;
    const executablePath = findChromium(this.#options.chromiumPath);
    const proxy = proxySettings(this.#options.proxy);
    // Inherited by Chromium: marks its processes as this session's (profile-lock.ts) and this supervisor's.
    process.env[SESSION_ENV] = sessionId;
    await releaseStaleProfileLock(join(this.#authDir, 'session'), `${SESSION_ENV}=${sessionId}`, log);
    // After the lock check: with no earlier browser of the session alive, its temp files are all leftovers.
    const dirs = await prepareBrowserDirs(browserDirs(this.#context.sessionDir), log);
    const webVersion = await planWebVersion(this.#options.webVersion, this.#context.sessionDir);
    this.#webVersion = webVersion;
    if (webVersion.webVersion !== undefined) log.info('loading a pinned WhatsApp Web version', { version: webVersion.webVersion, from: webVersion.webVersionCache.type });

    const client = new Client({
      authStrategy: reportingLocalAuth(this.#authDir, () => this.#onBrowser()),
      puppeteer: {
        executablePath,
        headless: true,
        pipe: true,
        defaultViewport: VIEWPORT,
        timeout: this.#options.launchTimeoutMs * STARVED_LIMIT,
        // A bound on each DevTools call, not a stage: on a starved machine one call can take longer than the load
        // stage is given, and a stuck stage is failed by our deadlines anyway (after ready, COMMAND_TIMEOUT_MS answers).
        protocolTimeout: this.#options.loadTimeoutMs * STARVED_LIMIT,
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        env: browserEnv(dirs),
        args: [...leanChromiumArgs(), ...(proxy ? [proxy.arg] : []), ...(this.#options.chromiumArgs ?? [])],
      },
      // Never the default `local` cache in the working directory, shared by every worker: see web-version.ts.
      webVersionCache: webVersion.webVersionCache,
      ...(webVersion.webVersion === undefined ? {} : { webVersion: webVersion.webVersion }),
      authTimeoutMs: this.#options.loadTimeoutMs * STARVED_LIMIT,
      // QR attempts are counted here, to fail with a reason instead of a bare 'disconnected'.
      qrMaxRetries: 0,
      takeoverOnConflict: true,
      takeoverTimeoutMs: 1000,
      ...(proxy?.credentials ? { proxyAuthentication: proxy.credentials } : {}),
    });
    this.#client = client;
    this.#listen(client);
    this.#arm(
      this.#options.launchTimeoutMs + this.#options.loadTimeoutMs,
      WorkerErrorCode.LOAD_TIMEOUT,
      'WhatsApp Web did not load (no QR code and no session restored)',
    );
    this.#launchDeadline.arm(this.#options.launchTimeoutMs, (expiry) =>
      this.#fail(
        {
          code: WorkerErrorCode.BROWSER_LAUNCH_FAILED,
          message: `Chromium did not start: no browser within ${this.#options.launchTimeoutMs} ms${starvedNote(expiry)}`,
        },
        true,
      ),
    );
    log.info('starting Chromium', { executablePath });
    // initialize() resolves before `ready` and can hang on navigation: its outcome arrives through the events.
    client.initialize().catch((error: unknown) => {
      const coded = describeInitFailure(error);
      // A pinned version that cannot be loaded will not load on a restart either.
      this.#fail(coded, coded.code !== WorkerErrorCode.WEB_VERSION_UNAVAILABLE);
    });
  }

  async stop(): Promise<void> {
    this.#stage = 'stopped';
    this.#disarm();
    const client = this.#client;
    if (client === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.destroy().catch((error: unknown) => this.#context.log.warn('closing the browser failed', { error: String(error) })),
      new Promise((resolve) => {
        timer = setTimeout(resolve, DEFAULTS.stopTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.killNow();
  }

  killNow(): void {
    if (this.#browserPid !== undefined) signalGroup(this.#browserPid, 'SIGKILL');
  }

  async requestPairingCode(phoneNumber: string): Promise<string> {
    const client = this.#expect('qr', WorkerErrorCode.QR_NOT_AVAILABLE, 'a pairing code');
    return client.requestPairingCode(phoneNumber.replace(/^\+/, ''));
  }

  async sendText(to: string, text: string, options: SendOptions): Promise<SentMessage> {
    return messages.sendText(this.#ready('sending'), to, text, options);
  }

  async sendMedia(to: string, media: MediaToSend, options: SendOptions): Promise<SentMessage> {
    return messages.sendMedia(this.#ready('sending'), to, media, options);
  }

  async downloadMedia(messageId: string, path: string): Promise<MediaInfo> {
    return messages.downloadMedia(this.#ready('downloading media'), messageId, path);
  }

  async react(messageId: string, emoji: string): Promise<void> {
    await messages.react(this.#ready('reacting'), messageId, emoji);
  }

  async markRead(chatId: string): Promise<void> {
    await messages.markRead(this.#ready('marking a chat read'), chatId);
  }

  async checkNumber(phone: string): Promise<{ exists: boolean; id: string | null }> {
    return messages.checkNumber(this.#ready('checking a number'), phone);
  }

  /** Whatever the page shows, in any stage: a stuck session is exactly when one is wanted. */
  async screenshot(): Promise<Buffer> {
    if (this.#client === undefined || this.#stage === 'stopped') {
      throw new WorkerError(WorkerErrorCode.SESSION_NOT_READY, `no WhatsApp Web page: the session is '${this.#stage}'`);
    }
    return messages.screenshot(this.#client);
  }

  async logout(): Promise<void> {
    const client = this.#client;
    this.#stage = 'stopped';
    this.#disarm();
    if (client !== undefined) {
      await client.logout().catch((error: unknown) => this.#context.log.warn('logout failed; deleting auth data anyway', { error: String(error) }));
    }
    await this.stop();
    await rm(this.#authDir, { recursive: true, force: true });
  }

  #listen(client: WebjsClient): void {
    const { log, sink } = this.#context;
    client.on('qr', (qr: string) => {
      if (this.#stage === 'stopped') return;
      this.#qrAttempts += 1;
      if (this.#qrAttempts > this.#options.qrMaxAttempts) {
        this.#fail(
          {
            code: WorkerErrorCode.QR_ATTEMPTS_EXHAUSTED,
            message: `no phone linked the session after ${this.#options.qrMaxAttempts} QR codes`,
          },
          false,
        );
        return;
      }
      this.#stage = 'qr';
      this.#disarm();
      sink.qr(qr, this.#qrAttempts);
    });
    client.on('loading_screen', (percent: number | string, message: string) => {
      sink.progress(Number(percent), message);
    });
    client.on('authenticated', () => {
      if (this.#stage === 'stopped') return;
      this.#stage = 'authenticated';
      this.#arm(this.#options.readyTimeoutMs, WorkerErrorCode.READY_TIMEOUT, 'WhatsApp Web authenticated but never became ready');
      sink.status('authenticated');
    });
    client.on('auth_failure', (message: string) => {
      log.warn('restoring the saved session failed; a new QR code will follow', { message });
    });
    client.on('ready', () => {
      if (this.#stage === 'stopped') return;
      this.#stage = 'ready';
      this.#disarm();
      sink.status('ready', { me: this.#me(client) });
      void this.#rememberVersion(client);
    });
    client.on('change_state', (state: string) => {
      log.info('WhatsApp connection state', { state });
      if (state === CONNECTED && this.#stage === 'disconnected') {
        this.#stage = 'ready';
        sink.status('ready', { reason: 'reconnected', me: this.#me(client) });
      } else if (state !== CONNECTED && this.#stage === 'ready') {
        this.#stage = 'disconnected';
        sink.status('disconnected', { reason: `connection ${state}` });
      }
    });
    client.on('disconnected', (reason: string) => {
      if (this.#stage === 'stopped') return;
      // whatsapp-web.js has destroyed its client by now: this worker cannot recover by itself.
      if (reason === 'LOGOUT' || reason === 'UNPAIRED' || reason === 'UNPAIRED_IDLE') {
        this.#fail({ code: WorkerErrorCode.LOGGED_OUT, message: `logged out from the phone (${reason})` }, false);
      } else if (reason === 'CONFLICT') {
        // Another client of this very pairing connected and took the account over. Restarting would take it
        // back and displace that one in turn, over and over: the session waits for an explicit start instead.
        this.#fail(
          { code: WorkerErrorCode.REPLACED, message: 'another connection of this linked device took over the session (CONFLICT)' },
          false,
        );
      } else {
        this.#fail({ code: WorkerErrorCode.DISCONNECTED, message: `WhatsApp disconnected the session (${reason})` }, true);
      }
    });
    client.on('message', (message: wwebjs.Message) => {
      this.#emit(async () => ({
        type: 'message.received',
        data: {
          id: message.id._serialized,
          from: message.from,
          to: message.to,
          body: message.body ?? '',
          type: String(message.type),
          timestamp: message.timestamp,
          hasMedia: Boolean(message.hasMedia),
          media: messages.mediaOf(message),
          replyTo: await messages.quotedIdOf(message),
        },
      }));
    });
    client.on('message_ack', (message: wwebjs.Message, ack: number) => {
      this.#emit(async () => ({ type: 'message.ack', data: { id: message.id._serialized, ack } }));
    });
    client.on('message_reaction', (reaction: wwebjs.Reaction) => {
      // Fired for this session's own reactions too; an empty `reaction` is a removal.
      this.#emit(async () => ({
        type: 'message.reaction',
        data: { id: reaction.msgId._serialized, emoji: reaction.reaction ?? '', from: String(reaction.senderId) },
      }));
    });
    client.on('message_revoke_everyone', (message: wwebjs.Message, revoked?: wwebjs.Message | null) => {
      // `message` is the revoke notice; the revoked message is `revoked` when the page still had it, else the
      // notice's protocolMessageKey names it.
      const key = (message as unknown as { protocolMessageKey?: { _serialized?: string } }).protocolMessageKey;
      const id = revoked?.id?._serialized ?? key?._serialized ?? message.id._serialized;
      this.#emit(async () => ({ type: 'message.revoked', data: { id } }));
    });
  }

  /** The version that got this session ready: logged, and kept as the last that worked (WEB_VERSION=last-working). */
  async #rememberVersion(client: WebjsClient): Promise<void> {
    const { log } = this.#context;
    try {
      const version = await client.getWWebVersion();
      log.info('WhatsApp Web is ready', { version });
      const options = this.#options.webVersion;
      if (options !== undefined && this.#webVersion !== undefined) await rememberWorkingVersion(options, this.#webVersion, version);
    } catch (error) {
      log.warn('could not record the WhatsApp Web version that worked', { error: String(error) });
    }
  }

  #emit(produce: () => Promise<EngineEvent>): void {
    this.#events = this.#events
      .then(produce)
      .then((event) => this.#context.sink.event(event))
      .catch((error: unknown) => this.#context.log.warn('an event from WhatsApp Web could not be read', { error: String(error) }));
  }

  #ready(what: string): WebjsClient {
    return this.#expect('ready', WorkerErrorCode.SESSION_NOT_READY, what);
  }

  #onBrowser(): void {
    // Launched: the rest of the way to a QR or a session is the load stage's.
    this.#launchDeadline.disarm();
    const pid = this.#client?.pupBrowser?.process()?.pid;
    if (pid === undefined) return;
    this.#browserPid = pid;
    // puppeteer starts Chromium detached: it leads its own process group.
    this.#context.sink.browser({ pid, pgid: pid });
  }

  #me(client: WebjsClient): Me {
    const info = client.info;
    return { id: info?.wid?._serialized ?? 'unknown', pushname: info?.pushname ?? null };
  }

  #expect(stage: Stage, code: WorkerErrorCode, what: string): WebjsClient {
    if (this.#client === undefined || this.#stage !== stage) {
      throw new WorkerError(code, `${what} needs status '${stage}'; the session is '${this.#stage}'`);
    }
    return this.#client;
  }

  #arm(ms: number, code: WorkerErrorCode, message: string): void {
    this.#deadline.arm(ms, (expiry) => this.#fail({ code, message: `${message} within ${ms} ms${starvedNote(expiry)}` }, true));
  }

  #disarm(): void {
    this.#deadline.disarm();
    this.#launchDeadline.disarm();
  }

  #fail(error: CodedError, retry: boolean): void {
    if (this.#failed || this.#stage === 'stopped') return;
    this.#failed = true;
    this.#disarm();
    this.#context.sink.fatal(error, retry);
  }
}

/** What a deadline that ran out on a starved machine adds to its message. */
function starvedNote(expiry: StageExpiry): string {
  if (expiry.reason === 'starved-too-long') return ` (starved of CPU: ${expiry.runnableMs} ms it could run in ${expiry.wallMs} ms)`;
  return expiry.wallMs > expiry.runnableMs + 1000 ? ` of time it could run (${expiry.wallMs} ms in all)` : '';
}

/** initialize() rejects with Errors, with bare strings ('auth timeout'), or with navigation failures. */
function describeInitFailure(error: unknown): CodedError {
  // whatsapp-web.js's VersionResolveError (webCache/WebCache.js) has no name of its own; its messages do.
  if (error instanceof Error && /^Couldn't load version .* from the (cache|archive)/.test(error.message)) {
    return { code: WorkerErrorCode.WEB_VERSION_UNAVAILABLE, message: `the pinned WhatsApp Web version could not be loaded: ${error.message}` };
  }
  if (error === 'auth timeout') {
    return { code: WorkerErrorCode.LOAD_TIMEOUT, message: 'WhatsApp Web did not finish loading (auth timeout)' };
  }
  const coded = toCodedError(error);
  if (/net::ERR_|ERR_NAME_NOT_RESOLVED|ERR_CONNECTION/.test(coded.message)) {
    return { code: WorkerErrorCode.WEB_UNREACHABLE, message: `could not load WhatsApp Web: ${coded.message}` };
  }
  if (/Failed to launch the browser|Timed out after .* waiting for the WS endpoint|Browser was not found/i.test(coded.message)) {
    return { code: WorkerErrorCode.BROWSER_LAUNCH_FAILED, message: `Chromium did not start: ${coded.message.split('\n')[0]}` };
  }
  return coded;
}
