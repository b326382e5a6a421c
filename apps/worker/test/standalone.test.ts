/** The worker alone in a terminal: commands on stdin, readable lines on stdout. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const WORKER = fileURLToPath(new URL('../dist/main.js', import.meta.url));
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wsm-alone-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [WORKER, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(input);
  const [code] = await once(child, 'exit');
  return { code, stdout, stderr };
}

describe('a worker run alone', () => {
  it('draws the QR, takes commands, prints readable events, and remembers the pairing', async () => {
    const first = await run(
      ['--session', 'demo', '--engine', 'simulated', '--data-dir', dir],
      'scan\ninbound 15550002222@c.us hello there\nsend 15550002222@c.us hi\nsend nobody\nfly\n',
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('▄'); // the QR, drawn with block characters
    expect(first.stdout).toMatch(/QR #1: 2@\S+,simulated,demo/);
    expect(first.stdout).toMatch(/INFO {2}status → ready me=\{"id":"1555\d{7}@c\.us"/);
    expect(first.stdout).toMatch(/INFO {2}message\.received .*from=15550002222@c\.us .*body=hello there/);
    expect(first.stdout).toMatch(/INFO {2}command\.sendText ok id=true_15550002222@c\.us_/);
    expect(first.stdout).toMatch(/ERROR malformed "command\.sendText"/);
    expect(first.stdout).toContain('usage: wsm-worker');

    const second = await run(['--session', 'demo', '--engine', 'simulated', '--data-dir', dir], '');
    expect(second.stdout).toMatch(/status → ready/);
    expect(second.stdout).not.toMatch(/QR #1/);
  });

  it('sends media from a file, checks numbers, and refuses what its engine cannot do', async () => {
    const file = join(dir, 'invoice.pdf');
    writeFileSync(file, '%PDF-1.4\n%%EOF\n');
    const result = await run(
      ['--session', 'media', '--engine', 'simulated', '--data-dir', dir],
      `scan\nsend-media 15550002222@c.us ${file} application/pdf your invoice\ncheck 15550000000\ncheck +15550002222\nscreenshot\n`,
    );
    expect(result.stdout).toMatch(/INFO {2}command\.sendMedia ok id=true_15550002222@c\.us_\S+ to=15550002222@c\.us timestamp=\d+ type=document/);
    expect(result.stdout).toMatch(/INFO {2}command\.checkNumber ok exists=false id=null/);
    expect(result.stdout).toMatch(/INFO {2}command\.checkNumber ok exists=true id=15550002222@c\.us/);
    expect(result.stdout).toMatch(/ERROR command\.screenshot failed: only a webjs session .* code=WSM_NOT_WEBJS/);
  });

  it('refuses a bad session id before touching the disk', async () => {
    const result = await run(['--session', '../x', '--engine', 'simulated', '--data-dir', join(dir, 'data')], '');
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('invalid session id "../x"');
  });
});
