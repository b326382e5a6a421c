/** Small formatters for the tables. */
import type { Session } from './api-types.js';

export function bytes(value: number): string {
  if (value < 1024 * 1024) return `${Math.round(value / 1024)} KiB`;
  if (value < 1024 ** 3) return `${(value / 1024 / 1024).toFixed(value < 10 * 1024 ** 2 ? 1 : 0)} MiB`;
  return `${(value / 1024 ** 3).toFixed(2)} GiB`;
}

export const memory = (session: Session): string => (session.memory === null ? '—' : bytes(session.memory.totalBytes));

export const account = (session: Session): string =>
  session.me === null ? '—' : session.me.pushname === null ? session.me.id : `${session.me.pushname} (${session.me.id})`;

const pad = (value: number): string => String(value).padStart(2, '0');

/** Local time as `2026-01-15 09:30:00`: sortable at a glance, the same in every locale. */
export function time(iso: string | null): string {
  if (iso === null) return '—';
  const date = new Date(iso);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${clock(iso)}`;
}

export function clock(iso: string): string {
  const date = new Date(iso);
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** "3 min ago", for how old a heartbeat or an error is. */
export function ago(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}
