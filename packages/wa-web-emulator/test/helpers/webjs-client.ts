/** whatsapp-web.js clients on the emulator, as a session worker would run them, and their cleanup. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wwebjs, { type WebCacheOptions } from 'whatsapp-web.js';
import type { Emulator } from '../../src/index.js';
import { waitForGroupExit } from './processes.js';

const { Client, LocalAuth } = wwebjs;
export type WebjsClient = InstanceType<typeof Client>;

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

// as root Chromium needs --no-sandbox; without the background-networking flags this closed network refuses it
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function newProfileDir(): string {
  return mkdtempSync(join(tmpdir(), 'wa-web-emulator-test-'));
}

export interface ClientOptions {
  pairWithPhoneNumber?: { phoneNumber: string };
  takeoverOnConflict?: boolean;
  takeoverTimeoutMs?: number;
  webVersion?: string;
  /** Replaces the default `{ type: 'none' }`. */
  webVersionCache?: WebCacheOptions;
}

export function newClient(emulator: Emulator, dataPath: string, options: ClientOptions = {}): WebjsClient {
  return new Client({
    authStrategy: new LocalAuth({ dataPath }),
    webVersionCache: { type: 'none' },
    puppeteer: { executablePath: CHROMIUM, headless: true, pipe: true, args: [...emulator.chromiumArgs, ...FLAGS] },
    ...options,
  });
}

/**
 * A round trip through the client's page. CDP answers a page's evaluations in order, so once this returns,
 * every evaluation whatsapp-web.js had already sent (e.g. the re-inject it runs by itself after a reload)
 * has returned too, and destroying the client can no longer fail one of them.
 */
export async function roundTrip(client: WebjsClient): Promise<void> {
  await client.pupPage?.evaluate(() => true);
}

/** Clients a test started: destroyed after it, their Chromium process groups awaited, profiles removed. */
export class ClientPool {
  readonly #clients: WebjsClient[] = [];
  readonly #dirs: string[] = [];

  profile(): string {
    const dir = newProfileDir();
    this.#dirs.push(dir);
    return dir;
  }

  track(client: WebjsClient): WebjsClient {
    this.#clients.push(client);
    return client;
  }

  /** Destroys every client; returns the pids of Chromium processes still alive afterwards (none expected). */
  async cleanup(): Promise<number[]> {
    const leftovers: number[] = [];
    for (const client of this.#clients.splice(0)) {
      const pid = client.pupBrowser?.process()?.pid;
      await client.destroy();
      if (pid !== undefined) leftovers.push(...(await waitForGroupExit(pid)));
    }
    for (const dir of this.#dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    return leftovers;
  }
}
