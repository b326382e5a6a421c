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
 *
 * Chromium runs with `pipe: true`: when this worker dies, its end of the pipe closes and Chromium exits by
 * itself. Its pid and process group are reported to the supervisor, which kills the group too.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import wwebjs from 'whatsapp-web.js';
import { WEBJS_DEFAULTS, WorkerErrorCode } from '@wsm/ipc-protocol/runtime';
import type { CodedError, Me, SentMessage, WebjsOptions } from '@wsm/ipc-protocol';
import { SESSION_ENV, signalGroup } from '@wsm/procfs';
import { WorkerError, toCodedError } from '../../errors.js';
import type { Engine, EngineContext } from '../engine.js';
import { browserDirs, browserEnv, prepareBrowserDirs } from './browser-dirs.js';
import { findChromium, leanChromiumArgs, proxySettings } from './chromium.js';
import { releaseStaleProfileLock } from './profile-lock.js';

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
  readonly #options: Required<Omit<WebjsOptions, 'chromiumPath' | 'chromiumArgs' | 'proxy'>> & WebjsOptions;
  readonly #authDir: string;
  #client: WebjsClient | undefined;
  #browserPid: number | undefined;
  #stage: Stage = 'initializing';
  #qrAttempts = 0;
  #deadline: NodeJS.Timeout | undefined;
  #failed = false;

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
    const dirs = browserDirs(this.#context.sessionDir);
    await prepareBrowserDirs(dirs, log);

    const client = new Client({
      authStrategy: reportingLocalAuth(this.#authDir, () => this.#onBrowser()),
      puppeteer: {
        executablePath,
        headless: true,
        pipe: true,
        timeout: this.#options.launchTimeoutMs,
        protocolTimeout: this.#options.loadTimeoutMs,
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        env: browserEnv(dirs),
        args: [...leanChromiumArgs(), ...(proxy ? [proxy.arg] : []), ...(this.#options.chromiumArgs ?? [])],
      },
      // Never the default `local` cache: it is shared by every worker under the working directory and would
      // save whatever page was loaded (an emulator's, in tests) under the real version's name.
      webVersionCache: { type: 'none' },
      authTimeoutMs: this.#options.loadTimeoutMs,
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
    log.info('starting Chromium', { executablePath });
    // initialize() resolves before `ready` and can hang on navigation: its outcome arrives through the events.
    client.initialize().catch((error: unknown) => this.#fail(describeInitFailure(error), true));
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

  async sendText(to: string, text: string): Promise<SentMessage> {
    const client = this.#expect('ready', WorkerErrorCode.SESSION_NOT_READY, 'sending');
    const message = await client.sendMessage(to, text);
    return { id: message.id._serialized, to, timestamp: message.timestamp || Math.floor(Date.now() / 1000) };
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
      sink.event({
        type: 'message.received',
        data: {
          id: message.id._serialized,
          from: message.from,
          to: message.to,
          body: message.body ?? '',
          type: String(message.type),
          timestamp: message.timestamp,
          hasMedia: Boolean(message.hasMedia),
        },
      });
    });
    client.on('message_ack', (message: wwebjs.Message, ack: number) => {
      sink.event({ type: 'message.ack', data: { id: message.id._serialized, ack } });
    });
  }

  #onBrowser(): void {
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
    this.#disarm();
    this.#deadline = setTimeout(() => this.#fail({ code, message: `${message} within ${ms} ms` }, true), ms);
  }

  #disarm(): void {
    clearTimeout(this.#deadline);
    this.#deadline = undefined;
  }

  #fail(error: CodedError, retry: boolean): void {
    if (this.#failed || this.#stage === 'stopped') return;
    this.#failed = true;
    this.#disarm();
    this.#context.sink.fatal(error, retry);
  }
}

/** initialize() rejects with Errors, with bare strings ('auth timeout'), or with navigation failures. */
function describeInitFailure(error: unknown): CodedError {
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
