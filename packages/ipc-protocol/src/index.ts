export * from './runtime.js';
export * from './common.js';
export * from './engine-options.js';
export * from './commands.js';
export * from './messages.js';
