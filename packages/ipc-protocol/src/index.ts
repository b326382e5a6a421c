export * from './common.js';
export * from './engine-options.js';
export * from './commands.js';
export * from './messages.js';
export * from './checkers.js';
export * from './error-codes.js';
export * from './session-dir.js';
