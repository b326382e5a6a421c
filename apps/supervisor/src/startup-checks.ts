/**
 * What the operator is told when start-up meets a mistake of theirs: one line naming the setting (server.ts prints
 * it and exits 78, EX_CONFIG), not a stack trace. Anything unforeseen stays a fatal log record with its stack.
 */
import { BlockList, isIP } from 'node:net';
import { isAbsolute, relative } from 'node:path';
import type { Config } from './config.js';

interface SystemError {
  code?: unknown;
  syscall?: unknown;
  path?: unknown;
  message?: unknown;
}

const inside = (dir: string, path: string): boolean => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** The one line for a known start-up mistake, or undefined for a real failure. */
export function describeStartupError(error: unknown, config: Config): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, syscall, path, message } = error as SystemError;
  const where = `${config.host}:${config.port}`;
  if (code === 'WSM_DATA_DIR_IN_USE' && typeof message === 'string') return message;
  if (syscall === 'listen' || syscall === 'getaddrinfo' || syscall === 'bind') {
    switch (code) {
      case 'EADDRINUSE':
        return `cannot listen on ${where}: the port is already in use (PORT=${config.port})`;
      case 'EACCES':
        return `cannot listen on ${where}: permission denied (ports below 1024 need privileges; PORT=${config.port})`;
      case 'EADDRNOTAVAIL':
        return `cannot listen on ${where}: HOST=${config.host} is not an address of this machine`;
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
      case 'EAI_FAIL':
        return `cannot listen on ${where}: HOST=${config.host} is neither an IP address nor a name that resolves (${String(code)})`;
    }
  }
  if (typeof path === 'string' && inside(config.dataDir, path) && ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'ENOSPC'].includes(String(code))) {
    return `DATA_DIR ${config.dataDir} is not usable: ${String(message)}`;
  }
  return undefined;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Loopback only: 127.0.0.0/8, ::1 (IPv4-mapped included), and the name localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  const family = isIP(bare);
  return family !== 0 && LOOPBACK.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** The warning for an API that anyone on the network can drive, or undefined. */
export function exposureWarning(config: Config, port: number = config.port): string | undefined {
  if (config.apiKey !== undefined || isLoopbackHost(config.host)) return undefined;
  return `listening on ${config.host}, beyond this machine, without API_KEY: anyone who can reach port ${port} controls every session; set API_KEY, or HOST=127.0.0.1`;
}
