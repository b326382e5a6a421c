#!/usr/bin/env node
/**
 * wa-web-emulator: runs the emulator for trying the real stack without a phone. Prints the Chromium flags as
 * one JSON line on stdout (for CHROMIUM_ARGS), logs on stderr, serves the control API, stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { CONTROL_PREFIX } from './control-routes.js';
import { startEmulator } from './emulator.js';

const USAGE = `usage: wa-web-emulator [--port 8443] [--host 127.0.0.1] [--qr-refresh-ms 20000] [--ack-delay-ms 250] [--web-version 2.3000.1017054665]`;

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new Error(`--${name} must be a non-negative integer, not "${value}"`);
  return number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'qr-refresh-ms': { type: 'string' },
      'ack-delay-ms': { type: 'string' },
      'web-version': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const emulator = await startEmulator({
    port: positiveInteger(values.port, 'port', 8443),
    host: values.host ?? '127.0.0.1',
    qrRefreshMs: positiveInteger(values['qr-refresh-ms'], 'qr-refresh-ms', 20_000),
    ackDelayMs: positiveInteger(values['ack-delay-ms'], 'ack-delay-ms', 250),
    controlApi: true,
    ...(values['web-version'] === undefined ? {} : { webVersion: values['web-version'] }),
    log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(emulator.chromiumArgs)}\n`);
  const control = `${emulator.origin}${CONTROL_PREFIX}`;
  process.stderr.write(
    [
      `Chromium flags above (stdout); e.g. CHROMIUM_ARGS='${JSON.stringify(emulator.chromiumArgs)}'`,
      `control API: curl -sk --pinnedpubkey 'sha256//${emulator.spkiSha256}' ${control}/clients`,
      `WhatsApp Web ${emulator.webVersion}; webVersionCache remotePath: ${emulator.webVersionRemotePath}`,
      '',
    ].join('\n'),
  );
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(64);
});
