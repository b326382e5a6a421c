/**
 * The OpenAPI document as `pnpm openapi` writes it to docs/openapi.json, and as the test that keeps that file
 * fresh generates it: from an app built on a throw-away DATA_DIR that nothing listens on, configured by a fixed
 * environment (never the caller's), formatted as 2-space JSON with a final newline. Nothing in it depends on
 * the machine, so the file only changes when the API does.
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

export async function renderOpenApiDocument(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wsm-openapi-'));
  try {
    const config = loadConfig({ DATA_DIR: dataDir, DEFAULT_ENGINE: 'simulated' });
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
