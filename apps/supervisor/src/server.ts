#!/usr/bin/env node
/**
 * The supervisor process: load config, build the app, listen, restore sessions, and shut down gracefully.
 * SIGTERM/SIGINT: stop accepting, ask every worker to stop (escalating to SIGKILL of its process group),
 * exit 0. A second signal, or the deadline passing, kills what is left and exits 1.
 */
import { loadConfig, ConfigError, type Config } from './config.js';
import { buildApp } from './app.js';
import { createLogger } from './logger.js';
import { SessionLogs } from './session-logs.js';
import { killOwnedProcesses } from '@wsm/procfs';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`wsm: configuration error: ${error.message}\n`);
  process.exit(78);
}

const sessionLogs = new SessionLogs(config.sessionLogRecords);
const log = createLogger(config.logLevel, sessionLogs);
const app = await buildApp({ config, logger: log, sessionLogs }).catch((error: unknown) => {
  log.fatal({ err: error }, 'could not start');
  process.exit(1);
});

// Past this, workers that did not stop are killed: their own stop escalation gets two stop timeouts.
const shutdownDeadlineMs = config.stopTimeoutMs * 2 + 2000;
let shuttingDown = false;

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (shuttingDown) {
    log.warn({ signal }, 'second signal: killing every worker now');
    killOwnedProcesses(config.dataDir);
    process.exit(1);
  }
  shuttingDown = true;
  log.info({ signal }, 'shutting down');
  const deadline = setTimeout(() => {
    log.error('shutdown deadline passed: killing every worker');
    killOwnedProcesses(config.dataDir);
    process.exit(1);
  }, shutdownDeadlineMs);
  deadline.unref();
  await app.close();
  clearTimeout(deadline);
  log.info('shut down');
  process.exit(0);
}

process.on('SIGTERM', (signal) => void shutdown(signal));
process.on('SIGINT', (signal) => void shutdown(signal));

await app.listen({ port: config.port, host: config.host });
void app.sessions.restore(config.restoreConcurrency).catch((error: unknown) => log.error({ err: error }, 'restore failed'));
