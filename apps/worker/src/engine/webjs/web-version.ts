/**
 * Which WhatsApp Web a webjs client loads, and remembering the last one that worked (WEB_VERSION).
 *
 * whatsapp-web.js pins only the index page: with a cached `<version>.html` it answers the request for
 * https://web.whatsapp.com/ from the cache and loads everything else live (the index names its bundles, so that
 * pins them). Its `local` cache saves the live index, named after the version that ran, at the first sync of an
 * unpinned load; it writes non-atomically into whatever directory it is given. So:
 *
 *   unpinned  → `local` cache in the session's own directory (nothing shared is written half), and once the
 *               session is ready the saved page is copied into the node's store by a rename, with `last-working`;
 *   pinned    → `local` from the store if the page is there, else `remote` from WEB_VERSION_URL, `strict` either
 *               way: a pinned version that cannot be loaded fails the start instead of silently running live;
 *   last-working → the version in the store's `last-working`, or live (and remembered) while there is none.
 *
 * The store is the one place outside its session directory a worker writes to, given by the supervisor.
 */
import { constants } from 'node:fs';
import { access, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LAST_WORKING_VERSION, WEB_VERSION_PATTERN, WorkerErrorCode } from '@wsm/ipc-protocol/runtime';
import type { WebVersionOptions } from '@wsm/ipc-protocol';
import { WorkerError } from '../../errors.js';
import { writeFileAtomic } from '../../fs-atomic.js';

type WebCacheOption = { type: 'local'; path: string; strict: boolean } | { type: 'remote'; remotePath: string; strict: boolean };

export interface WebVersionPlan {
  /** The version to request; undefined: the live one. */
  webVersion: string | undefined;
  webVersionCache: WebCacheOption;
  /** Where the page of an unpinned load is saved (then promoted to the store). */
  captureDir: string;
}

const VERSION = new RegExp(WEB_VERSION_PATTERN);
const exists = (path: string): Promise<boolean> => access(path, constants.R_OK).then(() => true, () => false);

async function lastWorking(store: string): Promise<string | undefined> {
  const text = await readFile(join(store, LAST_WORKING_VERSION), 'utf8').catch(() => undefined);
  const version = text?.trim();
  return version !== undefined && VERSION.test(version) ? version : undefined;
}

export async function planWebVersion(options: WebVersionOptions | undefined, sessionDir: string): Promise<WebVersionPlan> {
  const captureDir = join(sessionDir, 'web-version');
  const live: WebVersionPlan = { webVersion: undefined, webVersionCache: { type: 'local', path: captureDir, strict: false }, captureDir };
  if (options?.pin === undefined) return live;
  const version = options.pin === LAST_WORKING_VERSION ? await lastWorking(options.store) : options.pin;
  if (version === undefined) return live;
  if (await exists(join(options.store, `${version}.html`))) {
    return { webVersion: version, webVersionCache: { type: 'local', path: options.store, strict: true }, captureDir };
  }
  if (options.remoteUrl !== undefined) {
    return { webVersion: version, webVersionCache: { type: 'remote', remotePath: options.remoteUrl, strict: true }, captureDir };
  }
  throw new WorkerError(
    WorkerErrorCode.WEB_VERSION_UNAVAILABLE,
    `WEB_VERSION ${version} is not saved on this node (${options.store}) and WEB_VERSION_URL is not set: unset WEB_VERSION, ` +
      'or set WEB_VERSION_URL to where that version can be fetched',
  );
}

/**
 * A session got ready on `version`: keep its page in the store (if this load saved one) and record the version
 * as the last that worked. Each file is written beside its name, synced and renamed over it.
 */
export async function rememberWorkingVersion(options: WebVersionOptions, plan: WebVersionPlan, version: string): Promise<void> {
  if (!VERSION.test(version)) return;
  await mkdir(options.store, { recursive: true, mode: 0o700 });
  const page = join(options.store, `${version}.html`);
  const saved = join(plan.captureDir, `${version}.html`);
  // The page whatsapp-web.js saved (as text, with writeFileSync) and the marker, each replacing its file whole.
  if (plan.webVersion === undefined && (await exists(saved))) await writeFileAtomic(page, await readFile(saved, 'utf8'));
  if (!(await exists(page))) return; // a remote pin: nothing saved here to pin to later
  await writeFileAtomic(join(options.store, LAST_WORKING_VERSION), `${version}\n`);
}
