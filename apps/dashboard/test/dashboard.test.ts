/**
 * The dashboard in a real (headless) Chromium against a real supervisor process with API_KEY set: signing in
 * through the sign-in page, a simulated session followed from creation to its QR code, ready and a sent message
 * without a reload (all from GET /events), its actions, a failing session's lastError in words, the webhook
 * deliveries, the cluster view, and keyboard use. It writes the screenshots that the README shows
 * (docs/dashboard/*.png).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, tempDataDir } from '../../supervisor/test/helpers.js';
import { startSupervisor, type SupervisorProcess } from '../../supervisor/test/supervisor-process.js';

const KEY = 'dashboard-test-key-0123456789';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = fileURLToPath(new URL('../../../docs/dashboard/', import.meta.url));

let dataDir = '';
let supervisor: SupervisorProcess;
let receiver: Server;
let browser: Browser;
let page: Page;

/** The API as a program calls it: with the key. */
async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${supervisor.url}${path}`, {
    method,
    headers: { 'x-api-key': KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** Waits until the page shows `text` inside `selector`. */
async function waitForText(selector: string, text: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction(
    (css: string, wanted: string) => [...document.querySelectorAll(css)].some((element) => element.textContent?.includes(wanted)),
    { timeout },
    selector,
    text,
  );
}

async function clickButton(text: string, within = 'main'): Promise<void> {
  const handle = await page.waitForFunction(
    (css: string, label: string) =>
      [...document.querySelectorAll(`${css} button`)].find((button) => button.textContent?.trim() === label && !(button as HTMLButtonElement).disabled),
    {},
    within,
    text,
  );
  await (handle as unknown as { click(): Promise<void> }).click();
}

const screenshot = (name: string, fullPage = false): Promise<unknown> => page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage });

beforeAll(async () => {
  // The bundle the supervisor serves, from the sources as they are.
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build.mjs', import.meta.url))], { stdio: 'ignore' });
  mkdirSync(SCREENSHOTS, { recursive: true });
  // A webhook receiver that is down: every delivery fails at its one attempt.
  receiver = createServer((_request, response) => response.writeHead(503).end('receiver down for maintenance'));
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const { port } = receiver.address() as AddressInfo;
  dataDir = tempDataDir();
  supervisor = await startSupervisor(dataDir, {
    API_KEY: KEY,
    LOG_LEVEL: 'info',
    WEBHOOK_URL: `http://127.0.0.1:${port}/wsm`,
    WEBHOOK_MAX_ATTEMPTS: '1',
    // webjs sessions fail at once, with WSM_CHROMIUM_NOT_FOUND.
    CHROMIUM_PATH: '/nonexistent/chromium',
    MEMORY_SAMPLE_INTERVAL_MS: '500',
  });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    pipe: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 860 });
});

afterAll(async () => {
  await browser?.close();
  if (supervisor !== undefined && supervisor.child.exitCode === null) {
    supervisor.child.kill('SIGTERM');
    await supervisor.exited;
  }
  receiver?.close();
  if (dataDir !== '') removeDir(dataDir);
});

describe('the dashboard in Chromium', () => {
  it('signs in through the sign-in page and comes back, holding only the HttpOnly cookie', async () => {
    await page.goto(`${supervisor.url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/auth/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/dashboard');
    await page.type('#apiKey', KEY);
    await Promise.all([page.waitForNavigation(), page.click('#sign-in button[type=submit]')]);
    expect(new URL(page.url()).pathname).toBe('/dashboard');
    expect(page.url()).not.toContain(KEY);
    await page.waitForSelector('[data-connection="live"]');
    const stored = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
    expect(stored).toEqual({ local: 0, session: 0, cookie: '' });
  });

  it('follows a session live from creation to its QR code, ready and a sent message, then stops and deletes it', async () => {
    // Others for the list: one ready, one stopped.
    for (const sessionId of ['support-7', 'warehouse-2']) {
      expect((await api('POST', '/start-session', { sessionId, engine: 'simulated' })).status).toBe(202);
    }
    await page.evaluate(() => Object.assign(window, { notReloaded: true }));

    // Created from the page: the write carries the page's Origin, or the cookie alone would be refused.
    await page.type('form.create input[name=sessionId]', 'shop-42');
    await page.select('form.create select[name=engine]', 'simulated');
    await page.click('form.create button[type=submit]');
    await waitForText('tr[data-session="shop-42"] [data-field=status]', 'qr');

    await page.waitForFunction(() => document.querySelector('tr[data-session="support-7"] .badge')?.textContent === 'qr');
    expect((await api('POST', '/sessions/support-7/simulate/scan')).body.status).toBe('ready');
    await api('POST', '/sessions/warehouse-2/stop');
    await waitForText('tr[data-session="support-7"] [data-field=status]', 'ready');
    await waitForText('tr[data-session="warehouse-2"] [data-field=status]', 'stopped');

    await page.click('tr[data-session="shop-42"] a');
    const qr = await page.waitForSelector('img[data-qr-attempt]');
    await page.waitForFunction((image: HTMLImageElement) => image.complete && image.naturalWidth > 0, {}, qr!);
    expect(await qr!.evaluate((image) => image.getAttribute('alt'))).toContain('scan it with WhatsApp');
    await waitForText('.events li[data-event-type="session.qr"]', 'QR code');
    // Replayed: it happened before the session's view opened.
    await waitForText('.events li[data-event-type="session.status"]', 'start requested');
    await waitForText('.logs .log-msg', 'waiting for the phone');
    await screenshot('session-qr', true);

    // The phone scans, through the API: the page learns it from the event stream.
    expect((await api('POST', '/sessions/shop-42/simulate/scan')).body.status).toBe('ready');
    await waitForText('.session-title .badge', 'ready');
    await waitForText('[data-field=me]', '1555');
    expect(await page.$('img[data-qr-attempt]')).toBeNull();

    const sent = await api('POST', '/sessions/shop-42/messages', { to: '+1 555 000 2222', text: 'Your order #1001 has shipped' });
    expect(sent.status).toBe(201);
    await waitForText('.events li[data-event-type="message.sent"]', 'Your order #1001 has shipped');
    await page.waitForSelector('.events li[data-event-type="message.ack"]');
    await waitForText('.logs .log-msg', 'session ready');

    // No WhatsApp Web page for a simulated session: the API's 409 reason, in the page.
    await clickButton('Take a screenshot');
    await waitForText('.panel .outcome.is-error', 'WSM_NOT_WEBJS');

    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

    await clickButton('Stop');
    await waitForText('.session-title .badge', 'stopped');

    await clickButton('Delete');
    await page.waitForSelector('dialog.confirm[open]');
    await page.click('dialog.confirm [data-confirm]');
    await page.waitForFunction(() => location.hash === '#/');
    await page.waitForSelector('tr[data-session="support-7"]');
    expect(await page.$('tr[data-session="shop-42"]')).toBeNull();
    expect((await api('GET', '/sessions/shop-42')).status).toBe(404);
  });

  it("shows a failing session's lastError in words", async () => {
    expect((await api('POST', '/start-session', { sessionId: 'kiosk-9', engine: 'simulated' })).status).toBe(202);
    await page.type('form.create input[name=sessionId]', 'broken-1');
    await page.select('form.create select[name=engine]', 'webjs');
    await page.click('form.create button[type=submit]');
    await waitForText('tr[data-session="broken-1"] [data-field=status]', 'failed');
    await waitForText('tr[data-session="broken-1"] [data-field=lastError]', 'Chromium was not found');
    await waitForText('tr[data-session="kiosk-9"] [data-field=status]', 'qr');
    await screenshot('sessions');

    await page.click('tr[data-session="broken-1"] a');
    await waitForText('[data-field=lastError] .error-words', 'Chromium was not found on this machine');
    await waitForText('[data-field=lastError] code', 'WSM_CHROMIUM_NOT_FOUND');
  });

  it('reaches the main controls with the keyboard', async () => {
    // A fresh page load (not a hash change), so the keyboard starts at the top of the page.
    await page.goto('about:blank');
    await page.goto(`${supervisor.url}/dashboard#/sessions/support-7`);
    await waitForText('.session-title .badge', 'ready');
    // Tab from the top of the page to the Restart button, then press it with Enter.
    const reached: string[] = [];
    for (let presses = 0; presses < 40; presses += 1) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
      reached.push(focused);
      if (focused === 'Restart') break;
    }
    expect(reached).toContain('Skip to content');
    expect(reached).toContain('Sessions');
    expect(reached.at(-1)).toBe('Restart');
    await page.keyboard.press('Enter');
    await waitForText('.session-title .badge', 'ready', 20_000);
    await waitForText('.events li[data-event-type="session.status"]', 'stopping');

    // The delete confirmation takes the focus and closes on Escape, deleting nothing.
    await clickButton('Delete');
    await page.waitForSelector('dialog.confirm[open]');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog.confirm:not([open])');
    expect((await api('GET', '/sessions/support-7')).status).toBe(200);
  });

  it('lists failed webhook deliveries with their error, redelivers and discards them', async () => {
    await page.goto(`${supervisor.url}/dashboard#/webhooks`);
    await waitForText('.deliveries .delivery-error', 'HTTP 503');
    await waitForText('[data-field=failed]', '');
    const failedCount = Number(await page.$eval('[data-field=failed]', (element) => element.textContent));
    expect(failedCount).toBeGreaterThan(0);
    await screenshot('webhooks');

    const first = await page.$eval('.deliveries tbody tr[data-event]', (row) => row.getAttribute('data-event'));
    await page.click(`.deliveries tr[data-event="${first}"] button:not(.danger)`);
    await waitForText('.panel .outcome', 'queued again');

    await clickButton('Discard all');
    await page.click('dialog.confirm [data-confirm]');
    await waitForText('.panel .outcome', 'discarded');
    expect((await api('GET', '/webhooks/deliveries?status=failed')).body.length).toBeLessThanOrEqual(1);
  });

  it('says a single node is a single node', async () => {
    await page.goto(`${supervisor.url}/dashboard#/cluster`);
    await waitForText('[data-field=cluster-mode]', 'Single node');
    await waitForText('table', 'local');
  });
});
