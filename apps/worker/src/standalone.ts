/**
 * One worker alone in a terminal, for debugging: the same engine and command dispatch as under a supervisor,
 * with the QR drawn in the terminal, events printed as readable lines, and commands typed at a prompt.
 *
 *   pnpm worker --session demo --engine simulated
 */
import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import QRCode from 'qrcode';
import { ENGINE_NAMES, decodeSupervisorMessage, isValidSessionId, parseStringList, sessionDirectory } from '@wsm/ipc-protocol/runtime';
import type { CommandMessage, EngineName, EngineSettings, LogLevel } from '@wsm/ipc-protocol';
import { basename, join, resolve } from 'node:path';
import { dispatch } from './dispatch.js';
import { SentJournal } from './sent-journal.js';
import { createEngine } from './engine/create-engine.js';
import type { Engine, EngineSink } from './engine/engine.js';
import { toCodedError } from './errors.js';
import { LEVEL_VALUES, createLog, type LogData } from './log.js';

const USAGE = `usage: wsm-worker --session <id> [--engine webjs|simulated] [--data-dir <dir>] [--log-level <level>]
                  [--chromium-path <file>] [--chromium-args <flags>] [--proxy <url>]

Runs one session's worker alone, without a supervisor. The webjs options default to CHROMIUM_PATH and
CHROMIUM_ARGS from the environment (a JSON array, or flags separated by spaces): point them at the
WhatsApp Web emulator (pnpm emulator prints them) to try the real stack without a phone.
Commands at the prompt:
  pair <phone>          request a pairing code instead of scanning the QR
  send <to> <text>      send a text (to: 15550001111@c.us)
  send-media <to> <file> <mimetype> [caption]
                        send a file as media (image/jpeg, application/pdf, audio/ogg...)
  download <messageId> <file>
                        write a message's media to a new file
  react <messageId> <emoji>   react to a message (no emoji: remove the reaction)
  read <chatId>         mark a chat read
  check <phone>         is this number on WhatsApp?
  screenshot <file>     webjs: save a PNG of the WhatsApp Web page
  scan                  simulated: the phone scans the QR
  inbound <from> <text> simulated: someone writes to this session
  disconnect            simulated: the connection drops and recovers
  logout                unlink the device and delete its auth data
  quit                  stop the engine and exit (also Ctrl-C)`;

const time = (): string => new Date().toISOString().slice(11, 23);
const print = (level: string, msg: string, data?: LogData): void => {
  const fields = data ? ` ${Object.entries(data).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}` : '';
  process.stdout.write(`${time()} ${level.toUpperCase().padEnd(5)} ${msg}${fields}\n`);
};

interface Options {
  sessionId: string;
  engine: EngineName;
  dataDir: string;
  logLevel: LogLevel;
  settings: EngineSettings;
}

function parse(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      session: { type: 'string', short: 's' },
      engine: { type: 'string', short: 'e' },
      'data-dir': { type: 'string' },
      'log-level': { type: 'string' },
      'chromium-path': { type: 'string' },
      'chromium-args': { type: 'string' },
      proxy: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const fail = (message: string): never => {
    process.stderr.write(`wsm-worker: ${message}\n\n${USAGE}\n`);
    process.exit(64);
  };
  const sessionId = values.session ?? fail('--session is required');
  if (!isValidSessionId(sessionId)) fail(`invalid session id ${JSON.stringify(sessionId)}`);
  const engine = values.engine ?? process.env.DEFAULT_ENGINE ?? 'webjs';
  if (!(ENGINE_NAMES as readonly string[]).includes(engine)) fail(`unknown engine '${engine}'`);
  const logLevel = values['log-level'] ?? process.env.LOG_LEVEL ?? 'info';
  if (!Object.hasOwn(LEVEL_VALUES, logLevel)) fail(`unknown log level '${logLevel}'`);
  let chromiumArgs: string[] = [];
  try {
    chromiumArgs = parseStringList(values['chromium-args'] ?? process.env.CHROMIUM_ARGS, '--chromium-args');
  } catch (error) {
    fail((error as Error).message);
  }
  const chromiumPath = values['chromium-path'] ?? process.env.CHROMIUM_PATH;
  const settings: EngineSettings =
    engine === 'simulated'
      ? { engine: 'simulated', options: {} }
      : {
          engine: 'webjs',
          options: {
            chromiumArgs,
            ...(chromiumPath ? { chromiumPath } : {}),
            ...(values.proxy ? { proxy: values.proxy } : {}),
          },
        };
  return {
    sessionId,
    engine: engine as EngineName,
    dataDir: values['data-dir'] ?? process.env.DATA_DIR ?? './data',
    logLevel: logLevel as LogLevel,
    settings,
  };
}

/** Turns a typed line into the same command message a supervisor would send. */
function toCommand(line: string): CommandMessage | 'quit' | 'help' | undefined {
  const [word = '', first = '', ...rest] = line.trim().split(/\s+/);
  const id = randomUUID();
  switch (word) {
    case 'pair':
      return { type: 'command.requestPairingCode', id, params: { phoneNumber: first } };
    case 'send':
      return { type: 'command.sendText', id, params: { to: first, text: rest.join(' ') } };
    case 'send-media': {
      const [mimetype = '', ...caption] = rest.slice(1);
      const path = resolve(rest[0] ?? '');
      const media = { path, mimetype, filename: basename(path), size: existsSync(path) ? statSync(path).size : 0 };
      const text = caption.join(' ');
      const flags = { asDocument: false, asVoice: false, asSticker: false };
      return { type: 'command.sendMedia', id, params: { to: first, media, ...flags, ...(text === '' ? {} : { caption: text }) } };
    }
    case 'download':
      return { type: 'command.downloadMedia', id, params: { messageId: first, path: resolve(rest[0] ?? '') } };
    case 'react':
      return { type: 'command.react', id, params: { messageId: first, emoji: rest.join(' ') } };
    case 'read':
      return { type: 'command.markRead', id, params: { chatId: first } };
    case 'check':
      return { type: 'command.checkNumber', id, params: { phone: first } };
    case 'screenshot':
      return { type: 'command.screenshot', id, params: {} };
    case 'scan':
      return { type: 'command.simulate.scan', id, params: {} };
    case 'inbound':
      return { type: 'command.simulate.inbound', id, params: { from: first, text: rest.join(' ') } };
    case 'disconnect':
      return { type: 'command.simulate.disconnect', id, params: {} };
    case 'logout':
      return { type: 'command.logout', id, params: {} };
    case 'quit':
    case 'exit':
      return 'quit';
    case 'help':
    case '?':
      return 'help';
    default:
      return undefined;
  }
}

export async function runStandalone(argv: string[]): Promise<void> {
  const options = parse(argv);
  const log = createLog(options.logLevel, print);
  const { settings } = options;
  const sessionDir = sessionDirectory(options.dataDir, options.sessionId);
  const journal = new SentJournal(join(sessionDir, 'sent-journal.jsonl'));
  let engine: Engine | undefined;

  async function exit(code: number): Promise<never> {
    process.once('exit', () => engine?.killNow?.());
    await engine?.stop().catch((error: unknown) => log.error('engine stop failed', { error: String(error) }));
    process.exit(code);
  }

  const sink: EngineSink = {
    status: (status, info) => print('info', `status → ${status}`, { ...info }),
    qr: (qr, attempt) => {
      void QRCode.toString(qr, { type: 'terminal', small: true }).then((art) => {
        process.stdout.write(`\n${art}\nQR #${attempt}: ${qr}\n`);
        if (options.engine === 'simulated') process.stdout.write('type "scan" to act as the phone\n');
      });
    },
    event: (event) => print('info', event.type, event.data),
    progress: (percent, message) => process.stdout.write(`${time()} INFO  loading ${message} [${'#'.repeat(Math.round(percent / 5)).padEnd(20, '.')}] ${percent}%\n`),
    browser: (browser) => print('debug', 'browser', { ...browser }),
    fatal: (error, retry) => {
      print('fatal', error.message, { code: error.code, retry });
      void exit(1);
    },
  };

  print('info', 'worker starting', { sessionId: options.sessionId, engine: options.engine, sessionDir });
  try {
    engine = await createEngine({ sessionId: options.sessionId, sessionDir, settings, log, sink });
    await engine.start();
  } catch (error) {
    const coded = toCodedError(error);
    print('fatal', coded.message, { code: coded.code });
    return exit(1);
  }

  process.once('SIGINT', () => void exit(0));
  process.once('SIGTERM', () => void exit(0));
  const prompt = createInterface({ input: process.stdin, terminal: process.stdin.isTTY });
  for await (const line of prompt) {
    if (line.trim() === '') continue;
    const command = toCommand(line);
    if (command === 'quit') return exit(0);
    if (command === 'help' || command === undefined) {
      process.stdout.write(`${USAGE}\n`);
      continue;
    }
    // Checked like a supervisor's message, so a typo gets the same clear error.
    const decoded = decodeSupervisorMessage(command);
    if (!decoded.ok) {
      print('error', await decoded.details());
      continue;
    }
    try {
      const result = await dispatch(engine, command, journal);
      if (command.type === 'command.screenshot' && 'png' in result) {
        const file = resolve(line.trim().split(/\s+/)[1] || `${options.sessionId}.png`);
        await writeFile(file, Buffer.from(result.png, 'base64'));
        print('info', 'screenshot saved', { file });
        continue;
      }
      print('info', `${command.type} ok`, { ...result });
    } catch (error) {
      const coded = toCodedError(error);
      print('error', `${command.type} failed: ${coded.message}`, { code: coded.code });
    }
  }
  // Standard input ended (Ctrl-D, or the end of a piped script).
  await exit(0);
}
