import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { browserDirs, browserEnv, prepareBrowserDirs, socketPathFits } from '../src/engine/webjs/browser-dirs.js';
import { findChromium } from '../src/engine/webjs/chromium.js';
import { createLog } from '../src/log.js';

const records: string[] = [];
const log = createLog('info', (_level, msg) => records.push(msg));
let sessionDir: string;

beforeEach(() => {
  sessionDir = mkdtempSync(join(tmpdir(), 'wsm-browser-dirs-'));
  records.length = 0;
});
afterEach(() => {
  rmSync(sessionDir, { recursive: true, force: true });
});

describe('the browser directories of a session', () => {
  it('all lie inside the session directory, and the browser environment points Chromium at them', () => {
    const dirs = browserDirs(sessionDir);
    for (const dir of Object.values(dirs)) expect(dir.startsWith(`${sessionDir}/`)).toBe(true);
    const env = browserEnv(dirs, { HOME: '/home/someone', XDG_CONFIG_HOME: '/home/someone/.config', WSM_SESSION_ID: 's1' });
    expect(env).toEqual({
      HOME: '/home/someone',
      WSM_SESSION_ID: 's1',
      TMPDIR: dirs.tmp,
      XDG_CONFIG_HOME: dirs.config,
      XDG_CACHE_HOME: dirs.cache,
      XDG_RUNTIME_DIR: dirs.run,
    });
  });

  it('are created private to the owner on a first start', async () => {
    const dirs = browserDirs(sessionDir);
    await prepareBrowserDirs(dirs, log);
    for (const dir of Object.values(dirs)) expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(records).toEqual([]);
  });

  it('start with an empty temp directory: what dead browsers left there is removed, the rest is kept', async () => {
    const dirs = browserDirs(sessionDir);
    const dead = join(dirs.tmp, 'org.chromium.Chromium.AbC123');
    mkdirSync(dead, { recursive: true });
    writeFileSync(join(dead, 'SingletonCookie'), '42');
    writeFileSync(join(dirs.tmp, '.org.chromium.Chromium.XyZ789'), '');
    mkdirSync(join(dirs.config, 'chromium', 'Crash Reports'), { recursive: true });
    await prepareBrowserDirs(dirs, log);
    expect(readdirSync(dirs.tmp)).toEqual([]);
    expect(readdirSync(join(dirs.config, 'chromium'))).toEqual(['Crash Reports']);
    expect(records).toEqual(['removed what dead browsers of this session left in its temp directory']);
  });

  it("keep Chromium's socket path short enough under a long DATA_DIR: Chromium starts through the link, not without it", async () => {
    const longDir = join(sessionDir, 'a-data-dir-with-a-long-name-as-operators-choose-them', 'sessions', 'shop-42');
    const dirs = browserDirs(longDir);
    expect(socketPathFits(dirs.tmp)).toBe(false);
    const prepared = await prepareBrowserDirs(dirs, log);
    expect(prepared.tmp).not.toBe(dirs.tmp);
    expect(socketPathFits(prepared.tmp)).toBe(true);
    expect(readlinkSync(prepared.tmp)).toBe(dirs.tmp);
    // Twice gives the same link, and logs it once.
    expect((await prepareBrowserDirs(dirs, log)).tmp).toBe(prepared.tmp);
    expect(records.filter((msg) => msg.includes('too long'))).toHaveLength(1);

    const chromium = findChromium(undefined);
    const run = (tmp: string) =>
      spawnSync(chromium, ['--headless', '--no-sandbox', `--user-data-dir=${join(longDir, 'profile')}`, '--dump-dom', 'about:blank'], {
        env: browserEnv({ ...prepared, tmp }),
        timeout: 60_000,
      });
    expect(run(dirs.tmp).status).not.toBe(0); // the reason for the link: Chromium aborts
    expect(run(prepared.tmp).status).toBe(0);
    rmSync(prepared.tmp, { force: true });
  });
});
