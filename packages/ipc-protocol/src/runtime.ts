/**
 * What a process needs at run time to speak the protocol, without TypeBox: constants, error codes, the
 * session directory rule and the decoders. Types come from the package's main entry (`import type`).
 */
export * from './constants.js';
export * from './error-codes.js';
export * from './session-dir.js';
export * from './decode.js';
export * from './turn-batch.js';
