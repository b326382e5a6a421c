import { describe, expect, it } from 'vitest';
import { SESSION_STATUSES, allowedTransitions, canTransition, type SessionStatus } from '../src/session/state-machine.js';

describe('the session state machine', () => {
  it('allows the paths of a session life', () => {
    const paths: SessionStatus[][] = [
      ['stopped', 'starting', 'qr', 'authenticated', 'ready', 'disconnected', 'ready', 'stopping', 'stopped'],
      ['stopped', 'starting', 'authenticated', 'ready'],
      ['stopped', 'starting', 'ready', 'backoff', 'starting', 'ready'],
      ['ready', 'stopping', 'starting', 'qr'],
      ['qr', 'failed', 'starting'],
      ['backoff', 'failed', 'stopped'],
      ['backoff', 'stopped'],
      ['authenticated', 'qr'],
    ];
    for (const path of paths) {
      for (let index = 1; index < path.length; index++) {
        expect(`${path[index - 1]} → ${path[index]}: ${canTransition(path[index - 1]!, path[index]!)}`).toMatch(/: true$/);
      }
    }
  });

  it('refuses the edges that would hide a bug', () => {
    const refused: Array<[SessionStatus, SessionStatus]> = [
      ['stopped', 'ready'], // a worker must start first
      ['stopped', 'qr'],
      ['failed', 'ready'], // failed needs an explicit start
      ['failed', 'backoff'],
      ['stopping', 'ready'], // a late status from a worker that is being stopped
      ['stopping', 'qr'],
      ['stopping', 'backoff'],
      ['backoff', 'ready'], // nothing runs during backoff
      ['starting', 'stopped'], // a running worker is stopped through stopping
      ['ready', 'starting'],
    ];
    for (const [from, to] of refused) expect(`${from} → ${to}: ${canTransition(from, to)}`).toMatch(/: false$/);
  });

  it('lets every status that has a worker be stopped, and no status reach itself', () => {
    for (const status of ['starting', 'qr', 'authenticated', 'ready', 'disconnected'] as const) {
      expect(canTransition(status, 'stopping')).toBe(true);
      expect(canTransition(status, 'backoff')).toBe(true);
    }
    for (const status of SESSION_STATUSES) expect(allowedTransitions(status)).not.toContain(status);
  });

  it('leaves every status somewhere: no dead ends', () => {
    for (const status of SESSION_STATUSES) expect(allowedTransitions(status).length).toBeGreaterThan(0);
  });
});
