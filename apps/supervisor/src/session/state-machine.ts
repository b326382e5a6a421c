/**
 * The session lifecycle: the contract's statuses and the only edges between them.
 *
 *   stopped ──start──▶ starting ──▶ qr ──▶ authenticated ──▶ ready ◀──▶ disconnected
 *      ▲                  │          │          │              │             │
 *      │                  └──────────┴──────────┴──────┬───────┴─────────────┘
 *      │                                               │ worker died        │ stop/restart/logout/delete
 *      │                                               ▼                    ▼
 *      │        failed ◀── crash loop ── backoff ──timer──▶ starting     stopping ──▶ stopped
 *      │          │          (or a fatal    │                               │
 *      └──stop────┘           engine error) └──stop──▶ stopped              └──restart──▶ starting
 *
 * - An engine reports starting/qr/authenticated/ready/disconnected; the supervisor owns backoff, stopping,
 *   stopped and failed.
 * - `failed` and `stopped` are left only by an explicit start (or a stop, failed → stopped).
 * - `stopping → starting` is a restart: the old worker is gone before the new one is forked.
 * Any other change is refused, logged, and leaves the status as it was (e.g. a `ready` that a stopping
 * worker sends late).
 */
export const SESSION_STATUSES = [
  'starting',
  'qr',
  'authenticated',
  'ready',
  'disconnected',
  'backoff',
  'stopping',
  'stopped',
  'failed',
] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

const WORKER_DIED = ['backoff', 'failed', 'stopping'] as const;

const EDGES: Readonly<Record<SessionStatus, readonly SessionStatus[]>> = {
  stopped: ['starting'],
  starting: ['qr', 'authenticated', 'ready', 'disconnected', ...WORKER_DIED],
  qr: ['authenticated', 'ready', 'disconnected', ...WORKER_DIED],
  authenticated: ['ready', 'qr', 'disconnected', ...WORKER_DIED],
  ready: ['disconnected', 'authenticated', 'qr', ...WORKER_DIED],
  disconnected: ['ready', 'authenticated', 'qr', ...WORKER_DIED],
  backoff: ['starting', 'stopped', 'failed'],
  stopping: ['stopped', 'starting', 'failed'],
  failed: ['starting', 'stopped'],
};

export function canTransition(from: SessionStatus, to: SessionStatus): boolean {
  return EDGES[from].includes(to);
}

export function allowedTransitions(from: SessionStatus): readonly SessionStatus[] {
  return EDGES[from];
}
