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
import { describeStartupError, exposureWarning } from './startup-checks.js';
import { killOwnedProcesses } from '@wsm/procfs';

/** An operator's mistake: one line on stderr and EX_CONFIG (78), which a service manager need not retry. */
function refuse(problem: string): never {
  process.stderr.write(`wsm: ${problem}\n`);
  process.exit(78);
}

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return refuse(`configuration error: ${error.message}`);
  }
}

const config = readConfig();
const sessionLogs = new SessionLogs(config.sessionLogRecords);
const log = createLogger(config.logLevel, sessionLogs);
/** A known mistake (busy port, unknown HOST, DATA_DIR in use…) is one line; anything else keeps its stack. */
function startFailed(error: unknown): never {
  const problem = describeStartupError(error, config);
  if (problem !== undefined) refuse(problem);
  log.fatal({ err: error }, 'could not start');
  process.exit(1);
}

const app = await buildApp({ config, logger: log, sessionLogs }).catch(startFailed);

// Past this, workers that did not stop are killed: their own stop escalation gets two stop timeouts. A cluster
// node first hands its sessions over, a few at a time, each stopped and its pairing saved: a minute more.
const shutdownDeadlineMs = config.stopTimeoutMs * 2 + 2000 + (config.cluster === undefined ? 0 : 60_000);
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

try {
  await app.listen({ port: config.port, host: config.host });
} catch (error) {
  // Stops what start-up began and releases the DATA_DIR lock before leaving.
  await app.close().catch((closeError: unknown) => log.error({ err: closeError }, 'closing after a failed start failed'));
  startFailed(error);
}
// Warned once listening: a HOST that cannot be listened on is reported as an error instead.
const address = app.server.address();
const exposure = exposureWarning(config, typeof address === 'object' && address !== null ? address.port : config.port);
if (exposure !== undefined) {
  // On stderr for whoever starts it, and in the log for whoever reads it later.
  process.stderr.write(`wsm: WARNING: ${exposure}\n`);
  log.warn(exposure);
}
void app.sessions.restore().catch((error: unknown) => log.error({ err: error }, 'restore failed'));
