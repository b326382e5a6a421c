#!/usr/bin/env node
/**
 * Entry point of a session worker. Forked by the supervisor it has an IPC channel and speaks the protocol;
 * started from a terminal it runs alone for debugging. Each mode is imported only when used: the terminal
 * runner's QR drawing would otherwise cost every supervised worker start-up time and memory.
 * No top-level await: scripts/bundle.mjs turns this into one CommonJS file (dist/worker.cjs), which a
 * supervised worker starts from without Node's ES module loader.
 */
if (process.send !== undefined) {
  void import('./supervised.js').then(({ runSupervised }) => runSupervised());
} else {
  void import('./standalone.js').then(({ runStandalone }) => runStandalone(process.argv.slice(2)));
}
