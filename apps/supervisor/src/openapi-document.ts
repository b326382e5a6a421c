/**
 * The OpenAPI document as `pnpm openapi` writes it to docs/openapi.json, and as the test that keeps that file
 * fresh generates it: from an app built on a throw-away DATA_DIR that nothing listens on, configured by a fixed
 * environment (never the caller's), formatted as 2-space JSON with a final newline. Nothing in it depends on
 * the machine, so the file only changes when the API does. The environment sets an API_KEY, as a deployment
 * should: the document then has the browser sign-in routes, which exist only with a key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { SessionLogs } from './session-logs.js';

export const OPENAPI_DOCUMENT_PATH = 'docs/openapi.json';

/** Obviously not a key anyone uses; nothing of it may reach the document (a test checks). */
export const OPENAPI_DOCUMENT_API_KEY = 'openapi-document-placeholder-not-a-real-key';

export async function renderOpenApiDocument(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wsm-openapi-'));
  try {
    const config = loadConfig({ DATA_DIR: dataDir, DEFAULT_ENGINE: 'simulated', API_KEY: OPENAPI_DOCUMENT_API_KEY });
    const sessionLogs = new SessionLogs(config.sessionLogRecords);
    const logger = createLogger('fatal', sessionLogs, new Writable({ write: (_chunk, _encoding, done) => done() }));
    const app = await buildApp({ config, logger, sessionLogs });
    try {
      await app.ready();
      return `${JSON.stringify(app.swagger(), null, 2)}\n`;
    } finally {
      await app.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
