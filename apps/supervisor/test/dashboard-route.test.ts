/**
 * GET /dashboard serves the built dashboard (apps/dashboard/dist): the page revalidated on every load, the
 * content-hashed assets cached for good, nothing else; and says so when it was not built.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { installErrorHandlers } from '../src/plugins/error-handler.js';
import { dashboardRoutes } from '../src/routes/dashboard.js';
import { removeDir, tempDataDir } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

async function serve(built: boolean): Promise<FastifyInstance> {
  const dir = tempDataDir();
  dirs.push(dir);
  if (built) {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="/dashboard/assets/main-ABC123.js"></script>');
    writeFileSync(join(dir, 'assets', 'main-ABC123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'assets', 'notes.txt'), 'not served');
  }
  const app = Fastify({ logger: false });
  installErrorHandlers(app, 1024);
  await app.register(dashboardRoutes(dir) as unknown as (app: FastifyInstance) => Promise<void>);
  return app;
}

describe('GET /dashboard', () => {
  it('serves the page with a strict CSP, revalidated on every load', async () => {
    const app = await serve(true);
    const page = await app.inject({ url: '/dashboard' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'; style-src 'self'/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const etag = page.headers.etag as string;
    expect(etag).toMatch(/^".+"$/);
    const again = await app.inject({ url: '/dashboard', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');

    const slash = await app.inject({ url: '/dashboard/' });
    expect(slash.statusCode).toBe(308);
    expect(slash.headers.location).toBe('/dashboard');
  });

  it('caches the content-hashed assets for a year, and serves nothing but them', async () => {
    const app = await serve(true);
    const script = await app.inject({ url: '/dashboard/assets/main-ABC123.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.body).toBe('console.log(1)');
    for (const url of ['/dashboard/assets/notes.txt', '/dashboard/assets/other.js', '/dashboard/assets/..%2Findex.html']) {
      const missing = await app.inject({ url });
      expect({ url, status: missing.statusCode, code: missing.json().code }).toEqual({ url, status: 404, code: 'WSM_ROUTE_NOT_FOUND' });
    }
  });

  it('says how to build it when it was not built', async () => {
    const app = await serve(false);
    const page = await app.inject({ url: '/dashboard' });
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('pnpm@10.34.9 build');
  });
});
