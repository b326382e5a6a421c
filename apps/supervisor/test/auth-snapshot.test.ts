/** Packing and restoring a session's pairing files on real directories (auth-snapshot.ts). */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { sessionDirectory } from '@wsm/ipc-protocol';
import { encodeAuthArchive } from '../src/cluster/auth-archive.js';
import { packAuthState, unpackAuthState } from '../src/cluster/auth-snapshot.js';
import { json, noOwnedProcesses, recordStatuses, removeDir, startTestApp, tempDataDir, waitForSession } from './helpers.js';

const dirs: string[] = [];
const sessionDir = (): string => {
  const dir = tempDataDir();
  dirs.push(dir);
  return join(dir, 'sessions', 's1');
};
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function write(root: string, files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** Every file under `root` with its content, by POSIX path. */
function filesUnder(root: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    found[path.slice(root.length + 1)] = readFileSync(path, 'utf8');
  }
  return found;
}

const IDB = 'webjs/session/Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.leveldb';
const LOCAL = 'webjs/session/Default/Local Storage/leveldb';

/** What a paired whatsapp-web.js profile holds: the pairing in LevelDB, and much that is not the pairing. */
const PAIRING = {
  [`${IDB}/000003.log`]: 'indexeddb write-ahead log',
  [`${IDB}/000005.ldb`]: '\u0000\u0001 an immutable table',
  [`${IDB}/CURRENT`]: 'MANIFEST-000004\n',
  [`${IDB}/MANIFEST-000004`]: 'manifest',
  [`${LOCAL}/000003.log`]: 'local storage log',
  [`${LOCAL}/CURRENT`]: 'MANIFEST-000001\n',
  [`${LOCAL}/MANIFEST-000001`]: 'manifest',
};
const NOT_PAIRING = {
  [`${IDB}/LOCK`]: '',
  [`${IDB}/LOG`]: '2026/11/30-00:25:27.123 opened',
  [`${LOCAL}/LOG.old`]: 'older info log',
  'webjs/session/Default/Cache/Cache_Data/index': 'cache',
  'webjs/session/Default/Service Worker/CacheStorage/x': 'sw cache',
  'webjs/session/Default/GPUCache/data_0': 'gpu',
  'webjs/session/Default/Preferences': '{}',
  'webjs/session/Local State': '{}',
  'chromium/config/chromium/Crash Reports/settings.dat': 'crashpad',
  'simulated/auth.json': '{}',
};

function pairedProfile(): string {
  const dir = sessionDir();
  write(dir, { ...PAIRING, ...NOT_PAIRING });
  // Chromium's singleton link points at a socket in its temp dir: never packed.
  symlinkSync(join(dir, 'chromium/tmp/socket'), join(dir, `${IDB}/SingletonSocket`));
  return dir;
}

describe('packing and restoring a webjs profile', () => {
  it('packs the pairing only, and restores exactly it into an empty directory', async () => {
    const snapshot = await packAuthState(pairedProfile(), 'webjs');
    expect(snapshot).toMatchObject({ files: 7, bytes: Object.values(PAIRING).join('').length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const target = sessionDir();
    const restored = await unpackAuthState(snapshot!.data, target, 'webjs', { sha256: snapshot!.sha256 });
    expect(restored).toEqual({ sha256: snapshot!.sha256, bytes: snapshot!.bytes, files: 7 });
    expect(filesUnder(target)).toEqual(PAIRING);
    // A restored pairing packs to the same snapshot: the new owner does not save it again.
    expect((await packAuthState(target, 'webjs'))!.sha256).toBe(snapshot!.sha256);
  });

  it('replaces what the engine directory held, and leaves the rest of the session dir alone', async () => {
    const snapshot = await packAuthState(pairedProfile(), 'webjs');
    const target = sessionDir();
    write(target, {
      [`${IDB}/000009.ldb`]: 'a table of an older pairing',
      'webjs/session/Default/Preferences': 'stale',
      'chromium/config/keep': 'not the engine directory',
    });
    await unpackAuthState(snapshot!.data, target, 'webjs');
    expect(filesUnder(target)).toEqual({ ...PAIRING, 'chromium/config/keep': 'not the engine directory' });
  });

  it('clears what a crashed restore left, including a swap cut between its two renames', async () => {
    const snapshot = await packAuthState(pairedProfile(), 'webjs');
    const target = sessionDir();
    write(target, { [`.webjs.restore-abc123/session/Default/IndexedDB/half`]: 'half written', [`.webjs.old-0a0b0c/session/x`]: 'old' });
    expect(readdirSync(target).sort()).toEqual(['.webjs.old-0a0b0c', '.webjs.restore-abc123']);
    await unpackAuthState(snapshot!.data, target, 'webjs');
    expect(readdirSync(target)).toEqual(['webjs']);
    expect(filesUnder(target)).toEqual(PAIRING);
  });

  it('gives undefined when the engine has no pairing files', async () => {
    const dir = sessionDir();
    write(dir, { 'webjs/session/Default/Preferences': '{}', 'chromium/tmp/x': '' });
    expect(await packAuthState(dir, 'webjs')).toBeUndefined();
    expect(await packAuthState(sessionDir(), 'webjs')).toBeUndefined();
  });
});

describe('determinism', () => {
  it('gives the same bytes for the same files, whatever their mtimes, order of creation or directory', async () => {
    const first = await packAuthState(pairedProfile(), 'webjs');
    const again = await packAuthState(pairedProfile(), 'webjs');
    expect(again!.sha256).toBe(first!.sha256);
    expect(again!.data.equals(first!.data)).toBe(true);

    const reversed = sessionDir();
    for (const [path, content] of Object.entries(PAIRING).reverse()) write(reversed, { [path]: content });
    utimesSync(join(reversed, `${IDB}/CURRENT`), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const other = await packAuthState(reversed, 'webjs');
    expect(other!.data.equals(first!.data)).toBe(true);
  });

  it('gives another sha256 when one byte of one file differs', async () => {
    const dir = pairedProfile();
    const before = await packAuthState(dir, 'webjs');
    writeFileSync(join(dir, `${LOCAL}/000003.log`), 'local storage lob');
    expect((await packAuthState(dir, 'webjs'))!.sha256).not.toBe(before!.sha256);
  });
});

describe('limits and damage', () => {
  it('refuses a pairing larger than the cap, when packing and when restoring', async () => {
    const dir = pairedProfile();
    await expect(packAuthState(dir, 'webjs', { maxBytes: 40 })).rejects.toMatchObject({ code: 'WSM_AUTH_STATE_TOO_LARGE' });
    const snapshot = await packAuthState(dir, 'webjs');
    const target = sessionDir();
    await expect(unpackAuthState(snapshot!.data, target, 'webjs', { maxBytes: 100 })).rejects.toMatchObject({ code: 'WSM_AUTH_STATE_TOO_LARGE' });
    // A gzip bomb stops at the cap too, without inflating it whole.
    const bomb = gzipSync(Buffer.alloc(16 * 1024 * 1024));
    await expect(unpackAuthState(bomb, target, 'webjs', { maxBytes: 1024 * 1024 })).rejects.toMatchObject({ code: 'WSM_AUTH_STATE_TOO_LARGE' });
    expect(existsSync(target)).toBe(false);
  });

  it('refuses damaged or foreign archives and writes nothing', async () => {
    const snapshot = await packAuthState(pairedProfile(), 'webjs');
    const target = sessionDir();
    const refused = (data: Buffer, options: { sha256?: string } = {}, engine: 'webjs' | 'simulated' = 'webjs') =>
      expect(unpackAuthState(data, target, engine, options)).rejects.toMatchObject({ code: 'WSM_AUTH_STATE_CORRUPT' });
    await refused(snapshot!.data, { sha256: 'f'.repeat(64) });
    await refused(snapshot!.data.subarray(0, snapshot!.data.length - 9));
    await refused(snapshot!.data, {}, 'simulated');
    await refused(gzipSync(encodeAuthArchive('webjs', [{ path: 'webjs/session/Default/../../../escape', content: Buffer.from('x') }])));
    await refused(gzipSync(encodeAuthArchive('webjs', [{ path: 'webjs/session/Default/Cookies', content: Buffer.from('x') }])));
    await refused(gzipSync(encodeAuthArchive('webjs', [{ path: `${IDB}/LOCK`, content: Buffer.from('') }])));
    await refused(gzipSync(Buffer.concat([encodeAuthArchive('webjs', []), Buffer.from('trailing')])));
    expect(existsSync(target)).toBe(false);
  });
});

describe('copies of files a live browser writes', () => {
  it('keeps a read during which only LevelDB logs grew', async () => {
    const dir = pairedProfile();
    let appends = 0;
    let writing = true;
    const append = (): void => {
      if (!writing) return;
      appendFileSync(join(dir, `${IDB}/000003.log`), 'record;');
      appends++;
      setImmediate(append);
    };
    append();
    try {
      const snapshot = await packAuthState(dir, 'webjs');
      expect(snapshot?.files).toBe(7);
    } finally {
      writing = false;
    }
    expect(appends).toBeGreaterThan(1);
  });

  it('gives up with WSM_AUTH_STATE_UNSTABLE while tables and CURRENT keep being replaced', async () => {
    const dir = pairedProfile();
    let generation = 10;
    let writing = true;
    // What a flush or compaction does: a new table, a new CURRENT by rename, the old table deleted.
    const compact = (): void => {
      if (!writing) return;
      const table = (n: number): string => join(dir, `${IDB}/${String(n).padStart(6, '0')}.ldb`);
      writeFileSync(table(generation), 'table');
      writeFileSync(join(dir, `${IDB}/CURRENT.tmp`), `MANIFEST-${generation}\n`);
      renameSync(join(dir, `${IDB}/CURRENT.tmp`), join(dir, `${IDB}/CURRENT`));
      rmSync(table(generation - 1), { force: true });
      generation++;
      setImmediate(compact);
    };
    compact();
    try {
      await expect(packAuthState(dir, 'webjs')).rejects.toMatchObject({ code: 'WSM_AUTH_STATE_UNSTABLE' });
    } finally {
      writing = false;
    }
  });
});

describe('the simulated engine', () => {
  it('packs simulated/auth.json alone, and nothing before a pairing', async () => {
    const dir = sessionDir();
    write(dir, { 'simulated/other.txt': 'not the pairing' });
    expect(await packAuthState(dir, 'simulated')).toBeUndefined();
    const pairing = JSON.stringify({ me: { id: '15550001111@c.us', pushname: 'Sim' }, pairedAt: '2026-11-30T00:00:00.000Z' });
    write(dir, { 'simulated/auth.json': pairing, ...PAIRING });
    const snapshot = await packAuthState(dir, 'simulated');
    expect(snapshot).toMatchObject({ files: 1, bytes: pairing.length });
    const target = sessionDir();
    await unpackAuthState(snapshot!.data, target, 'simulated', { sha256: snapshot!.sha256 });
    expect(filesUnder(target)).toEqual({ 'simulated/auth.json': pairing });
  });
  it('brings a simulated session back ready without a QR on another DATA_DIR, with real workers', async () => {
    const first = tempDataDir();
    const second = tempDataDir();
    dirs.push(first, second);
    let me: unknown;
    const a = await startTestApp(first);
    try {
      await a.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'sim-1' }) });
      await waitForSession(a.app, 'sim-1', 'qr');
      const scanned = await a.app.inject({ method: 'POST', url: '/sessions/sim-1/simulate/scan' });
      expect(scanned.json()).toMatchObject({ status: 'ready' });
      me = scanned.json().me;
      await a.app.inject({ method: 'POST', url: '/sessions/sim-1/stop' });
      await waitForSession(a.app, 'sim-1', 'stopped');
    } finally {
      await a.close();
      await noOwnedProcesses(first);
    }
    const snapshot = await packAuthState(sessionDirectory(first, 'sim-1'), 'simulated');
    expect(snapshot).toMatchObject({ files: 1 });

    await unpackAuthState(snapshot!.data, sessionDirectory(second, 'sim-1'), 'simulated', { sha256: snapshot!.sha256 });
    const b = await startTestApp(second);
    try {
      const statuses = recordStatuses(b.app, 'sim-1');
      await b.app.inject({ method: 'POST', url: '/start-session', ...json({ sessionId: 'sim-1' }) });
      const ready = await waitForSession(b.app, 'sim-1', (session) => session.status === 'ready' || session.status === 'qr');
      expect(statuses).toEqual(['starting', 'authenticated', 'ready']);
      expect(ready.me).toEqual(me);
    } finally {
      await b.close();
      await noOwnedProcesses(second);
    }
  });
});
