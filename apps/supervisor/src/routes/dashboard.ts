/**
 * GET /dashboard: the operator's dashboard (apps/dashboard), served from this origin so that it signs in with the
 * same cookie as /docs and its writes carry this service's Origin. The files are the package's build output,
 * read once at start-up: the page itself is revalidated on every load (`no-cache` + ETag), its scripts and styles
 * have content hashes in their names and are cached for a year. Not part of the API: hidden from the OpenAPI
 * document, like the sign-in page.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { Errors } from '../errors.js';
import type { App } from '../types.js';

export const DASHBOARD_PAGE = '/dashboard';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

/** Nothing but this origin: no CDN, no inline script or style; images are the API's PNGs (as blobs). */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

const etagOf = (body: Buffer): string => `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;

/** The built dashboard (`apps/dashboard/dist`), or undefined when it was not built. */
export function loadDashboard(dir: string = defaultDashboardDir()): { page: StaticFile; assets: Map<string, StaticFile> } | undefined {
  const indexPath = join(dir, 'index.html');
  if (!existsSync(indexPath)) return undefined;
  const body = readFileSync(indexPath);
  const assets = new Map<string, StaticFile>();
  const assetDir = join(dir, 'assets');
  for (const name of existsSync(assetDir) ? readdirSync(assetDir) : []) {
    const type = CONTENT_TYPES[extname(name)];
    if (type === undefined) continue;
    // A rebuild removes the files of the build before: one gone since the listing is not the page's.
    const asset = readIfThere(join(assetDir, name));
    if (asset !== undefined) assets.set(name, { body: asset, type, etag: etagOf(asset) });
  }
  return { page: { body, type: 'text/html; charset=utf-8', etag: etagOf(body) }, assets };
}

function readIfThere(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function defaultDashboardDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@wsm/dashboard/package.json')), 'dist');
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Dashboard not built</title></head>
<body><h1>The dashboard is not built</h1><p>Run <code>npx pnpm@10.34.9 build</code> and restart the service.</p></body></html>
`;

export function dashboardRoutes(dir?: string): (app: App) => Promise<void> {
  return async (app) => {
    const built = loadDashboard(dir);
    if (built === undefined) app.log.warn('the dashboard is not built (apps/dashboard/dist): GET /dashboard says so');
    const hidden = { schema: { hide: true }, config: { anyNode: true } } as const;

    app.get(DASHBOARD_PAGE, hidden, async (request, reply) => {
      reply
        .header('content-security-policy', DASHBOARD_CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .type('text/html; charset=utf-8');
      if (built === undefined) return reply.code(503).header('cache-control', 'no-store').send(NOT_BUILT);
      const { page } = built;
      reply.header('cache-control', 'no-cache').header('etag', page.etag);
      if (request.headers['if-none-match'] === page.etag) return reply.code(304).send();
      return reply.send(page.body);
    });

    app.get(`${DASHBOARD_PAGE}/`, hidden, async (_request, reply) => reply.redirect(DASHBOARD_PAGE, 308));

    app.get(
      `${DASHBOARD_PAGE}/assets/:file`,
      { ...hidden, schema: { hide: true, params: Type.Object({ file: Type.String({ maxLength: 128 }) }) } },
      async (request, reply) => {
        const asset = built?.assets.get(request.params.file);
        if (asset === undefined) throw new Errors.ROUTE_NOT_FOUND(request.method, request.url.split('?')[0]);
        reply
          .type(asset.type)
          .header('x-content-type-options', 'nosniff')
          // Content-hashed names: a new build is new names, so these never change.
          .header('cache-control', 'public, max-age=31536000, immutable')
          .header('etag', asset.etag);
        if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
        return reply.send(asset.body);
      },
    );
  };
}
