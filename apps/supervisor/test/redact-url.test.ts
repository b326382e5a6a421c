import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { redactUrl } from '../src/redact-url.js';
import { SessionLogs } from '../src/session-logs.js';

describe('redactUrl', () => {
  it('masks query parameters named like credentials, whatever their spelling', () => {
    expect(redactUrl('/sessions?api_key=k1&apiKey=k2&API-KEY=k3&key=k4&x-api-key=k5')).toBe(
      '/sessions?api_key=[redacted]&apiKey=[redacted]&API-KEY=[redacted]&key=[redacted]&x-api-key=[redacted]',
    );
    expect(redactUrl('/x?token=a&access_token=b&refresh_token=c&password=d&client_secret=e&sig=f&auth=g')).toBe(
      '/x?token=[redacted]&access_token=[redacted]&refresh_token=[redacted]&password=[redacted]&client_secret=[redacted]&sig=[redacted]&auth=[redacted]',
    );
    expect(redactUrl('/x?api%5Fkey=a&Api_Key=b')).toBe('/x?api%5Fkey=[redacted]&Api_Key=[redacted]');
  });

  it('leaves the rest as sent: paths, ordinary parameters, flags without a value, fragments', () => {
    expect(redactUrl('/events?sessionId=abc&types=session.status&lastEventId=01J&limit=5')).toBe(
      '/events?sessionId=abc&types=session.status&lastEventId=01J&limit=5',
    );
    expect(redactUrl('/sessions/token/logs')).toBe('/sessions/token/logs');
    expect(redactUrl('/x?token&a=1#frag')).toBe('/x?token&a=1#frag');
    expect(redactUrl('/x?a=1&token=t#token=keep')).toBe('/x?a=1&token=[redacted]#token=keep');
    expect(redactUrl('/x?')).toBe('/x?');
  });

  it('masks a user without a password, which is usually a token', () => {
    expect(redactUrl('https://tok3n@receiver.example.com/in')).toBe('https://[redacted]@receiver.example.com/in');
  });

  it('masks the password of an absolute URL, keeping the user', () => {
    expect(redactUrl('https://hook:s3cret@receiver.example.com/in?token=t&id=1')).toBe(
      'https://hook:[redacted]@receiver.example.com/in?token=[redacted]&id=1',
    );
    expect(redactUrl('https://receiver.example.com/a@b')).toBe('https://receiver.example.com/a@b');
  });
});

describe('the logger', () => {
  it('masks credentials in logged webhook targets and URLs, and redacts cookies and tokens', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    const log = createLogger('info', new SessionLogs(10), sink);
    log.warn({ target: 'https://u:p4ss@hooks.example.com/x?token=t0k3n', url: '/y?apiKey=k3y', token: 'bare', headers: { cookie: 'wsm_session=c00kie' } }, 'gave up');
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({
      target: 'https://u:[redacted]@hooks.example.com/x?token=[redacted]',
      url: '/y?apiKey=[redacted]',
      token: '[redacted]',
      headers: { cookie: '[redacted]' },
    });
    for (const secret of ['p4ss', 't0k3n', 'k3y', 'bare', 'c00kie']) expect(lines[0]).not.toContain(secret);
  });
});
