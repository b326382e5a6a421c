/** pino's level names by number, for reading pino lines back (session-logs.ts). */
import { LOG_LEVEL_VALUES } from '@wsm/ipc-protocol/runtime';

export const LEVEL_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(LOG_LEVEL_VALUES).map(([name, value]) => [value, name]),
);
