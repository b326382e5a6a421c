#!/usr/bin/env node
/**
 * Entry point of a session worker. Forked by the supervisor it has an IPC channel and speaks the protocol;
 * started from a terminal it runs alone for debugging. Each mode is imported only when used: the terminal
 * runner's QR drawing would otherwise cost every supervised worker start-up time and memory.
 */
if (process.send !== undefined) {
  const { runSupervised } = await import('./supervised.js');
  runSupervised();
} else {
  const { runStandalone } = await import('./standalone.js');
  await runStandalone(process.argv.slice(2));
}
