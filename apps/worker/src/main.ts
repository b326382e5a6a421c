#!/usr/bin/env node
/**
 * Entry point of a session worker. Forked by the supervisor it has an IPC channel and speaks the protocol;
 * started from a terminal it runs alone for debugging.
 */
import { runStandalone } from './standalone.js';
import { runSupervised } from './supervised.js';

if (process.send !== undefined) runSupervised();
else await runStandalone(process.argv.slice(2));
