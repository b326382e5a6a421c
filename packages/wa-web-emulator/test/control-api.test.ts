/** The control API over HTTPS (pinned to the emulator's key), the CLI that serves it, and refusals. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_PREFIX, startEmulator, type Emulator } from '../src/index.js';
import { FakePage } from './helpers/fake-page.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** A JSON call that accepts the self-signed certificate only if its key is the pinned one. */
async function call(origin: string, pin: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const url = new URL(path, origin);
  const req = request(url, {
    method,
    rejectUnauthorized: false,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
  });
  req.on('socket', (socket: TLSSocket) =>
    socket.once('secureConnect', () => {
      const spki = socket.getPeerX509Certificate()?.publicKey.export({ type: 'spki', format: 'der' });
      if (spki === undefined || createHash('sha256').update(spki).digest('base64') !== pin) req.destroy(new Error('unpinned certificate'));
    }),
  );
  req.end(body === undefined ? undefined : JSON.stringify(body));
  const [response] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return { status: response.statusCode ?? 0, json: JSON.parse(text) as unknown };
}

describe('the control API', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ controlApi: true });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('lists clients, sent messages, overlaps and missing modules, and counts them', async () => {
    for (const path of ['clients', 'sent', 'overlaps', 'unimplemented-modules']) {
      expect(await call(emulator.origin, emulator.spkiSha256, 'GET', `${CONTROL_PREFIX}/${path}`)).toEqual({ status: 200, json: [] });
    }
    expect(await call(emulator.origin, emulator.spkiSha256, 'GET', `${CONTROL_PREFIX}/status`)).toEqual({
      status: 200,
      json: { clients: 0, online: 0, devices: 0, sent: 0, overlaps: 0 },
    });
  });

  it('records an overlap when a paired device comes online from a second page while the first is online, and displaces the first', async () => {
    const first = await FakePage.connect(emulator.origin, null);
    const { wid } = await emulator.scan(first.qr);
    const second = await FakePage.connect(emulator.origin, first.token);
    try {
      expect(second.reply).toMatchObject({ status: 'connected', account: { wid } });
      const overlap = { wid, device: expect.stringMatching(/^[\w-]{12}$/), firstClientId: first.clientId, secondClientId: second.clientId, at: expect.any(String) };
      expect(await call(emulator.origin, emulator.spkiSha256, 'GET', `${CONTROL_PREFIX}/overlaps`)).toEqual({ status: 200, json: [overlap] });
      expect(await call(emulator.origin, emulator.spkiSha256, 'GET', `${CONTROL_PREFIX}/status`)).toMatchObject({ json: { clients: 2, devices: 1, overlaps: 1 } });
      expect(emulator.overlaps()).toEqual([overlap]);
      expect(Date.parse(emulator.overlaps()[0]?.at ?? '')).toBeCloseTo(Date.now(), -4);
      // the newer connection wins: the first page is told and taken offline, the second gets what comes
      await first.waitForCommand('conflict');
      expect(emulator.clients().map(({ clientId, online }) => ({ clientId, online }))).toEqual([
        { clientId: first.clientId, online: false },
        { clientId: second.clientId, online: true },
      ]);
      await emulator.deliver(wid, { from: '15550002222', body: 'to the newer one' });
      expect(second.commands.filter((command) => command.type === 'message')).toHaveLength(1);
      expect(first.commands.filter((command) => command.type === 'message')).toHaveLength(0);
    } finally {
      first.close();
      second.close();
    }
  });

  it('answers refusals with a coded error', async () => {
    expect(await call(emulator.origin, emulator.spkiSha256, 'POST', `${CONTROL_PREFIX}/deliver`, { to: '15550001111', from: '15550002222', body: 'x' })).toEqual({
      status: 409,
      json: { error: { code: 'WAE_NOT_CONNECTED', message: 'no connected client is paired as 15550001111@c.us' } },
    });
    expect(await call(emulator.origin, emulator.spkiSha256, 'POST', `${CONTROL_PREFIX}/scan`, { qr: '2@nope,a,b,c,WEB' })).toMatchObject({
      status: 404,
      json: { error: { code: 'WAE_QR_NOT_SHOWN' } },
    });
    expect(await call(emulator.origin, emulator.spkiSha256, 'POST', `${CONTROL_PREFIX}/pairing-code`, {})).toMatchObject({
      status: 400,
      json: { error: { code: 'WAE_BAD_REQUEST', message: '"code" must be a string' } },
    });
    await expect(emulator.logout('15550009999@c.us')).rejects.toMatchObject({ code: 'WAE_NO_DEVICE' });
  });

  it('is off unless asked for', async () => {
    const plain = await startEmulator();
    try {
      expect(await call(plain.origin, plain.spkiSha256, 'GET', `${CONTROL_PREFIX}/clients`)).toMatchObject({ status: 404 });
    } finally {
      await plain.close();
    }
  });
});

describe('the CLI', () => {
  it('prints the Chromium flags as one JSON line, serves the control API, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [line] = (await once(child.stdout.setEncoding('utf8'), 'data')) as [string];
    const args = JSON.parse(line.split('\n')[0] ?? '') as string[];
    expect(args).toEqual([
      expect.stringMatching(/^--host-resolver-rules=MAP web\.whatsapp\.com:443 127\.0\.0\.1:\d+$/),
      expect.stringMatching(/^--ignore-certificate-errors-spki-list=[A-Za-z0-9+/]{43}=$/),
    ]);
    const port = /:(\d+)$/.exec(args[0] ?? '')?.[1];
    const pin = (args[1] ?? '').split('=').slice(1).join('=');
    expect(await call(`https://127.0.0.1:${port}`, pin, 'GET', `${CONTROL_PREFIX}/clients`)).toEqual({ status: 200, json: [] });

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(stderr).toContain('control API: curl');
  });

  it('refuses a bad option with usage and exit code 64', async () => {
    const child = spawn(process.execPath, [CLI, '--port', 'many'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const [code] = await once(child, 'exit');
    expect(code).toBe(64);
    expect(stderr).toContain('--port must be a non-negative integer');
    expect(stderr).toContain('usage: wa-web-emulator');
  });
});
