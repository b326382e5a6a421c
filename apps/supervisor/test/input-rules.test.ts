/** The pure rules behind the API's input checks: addresses, chat ids, metadata bounds, cursors, messages. */
import { describe, expect, it } from 'vitest';
import { isBlockedAddress } from '../src/net/address-guard.js';
import { maskCredentials } from '../src/net/mask-url.js';
import { normalizeChatId } from '../src/messages/chat-id.js';
import { assertMetadataBounds, jsonDepth, METADATA_MAX_DEPTH } from '../src/schemas/metadata.js';
import { decodeCursor, encodeCursor, pageOf } from '../src/session/session-list.js';
import { describeIssue } from '../src/plugins/validation.js';
import { charsetOf } from '../src/plugins/json-body.js';

describe('the address guard', () => {
  it.each([
    '127.0.0.1', '127.8.9.10', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
    '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fe80::1', 'fd00:ec2::254', 'fc00::1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254', '64:ff9b::10.0.0.1', '[::1]', 'not-an-ip',
  ])('refuses %s', (address) => expect(isBlockedAddress(address)).toBe(true));

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'allows %s',
    (address) => expect(isBlockedAddress(address)).toBe(false),
  );
});

describe('chat ids', () => {
  it.each([
    ['15550002222', '15550002222@c.us'],
    ['+1 (555) 000-2222', '15550002222@c.us'],
    ['+49 155.5000.1111', '4915550001111@c.us'],
    ['15550002222@c.us', '15550002222@c.us'],
    ['15550002222@s.whatsapp.net', '15550002222@c.us'],
    ['120363000000000000@g.us', '120363000000000000@g.us'],
    ['15550002222-1600000000@g.us', '15550002222-1600000000@g.us'],
    ['123456789012345@lid', '123456789012345@lid'],
  ])('%s → %s', (input, id) => expect(normalizeChatId(input, 'body.to')).toBe(id));

  it.each(['not-a-number', '12345', '1234567890123456', 'abc@c.us', '15550002222@example.com', '+', '1555 000 2222 x'])(
    'refuses %s with a coded 400 naming the field',
    (input) => {
      expect(() => normalizeChatId(input, 'body.to')).toThrow(expect.objectContaining({ code: 'WSM_INVALID_CHAT_ID', statusCode: 400 }));
      expect(() => normalizeChatId(input, 'body.to')).toThrow(/body\.to must be a phone number/);
    },
  );
});

describe('metadata bounds', () => {
  const nested = (depth: number): unknown => {
    let value: unknown = 'leaf';
    for (let level = 0; level < depth; level++) value = { next: value };
    return value;
  };

  it('measures depth without recursion, even 100,000 levels deep', () => {
    expect(jsonDepth('x', 10)).toBe(0);
    expect(jsonDepth({}, 10)).toBe(1);
    expect(jsonDepth({ a: [1, { b: 2 }] }, 10)).toBe(3);
    expect(jsonDepth(nested(100_000), 10)).toBe(11);
  });

  it('accepts what fits and refuses what nests too deep or is too large', () => {
    expect(() => assertMetadataBounds(nested(METADATA_MAX_DEPTH) as Record<string, unknown>)).not.toThrow();
    expect(() => assertMetadataBounds(nested(METADATA_MAX_DEPTH + 1) as Record<string, unknown>)).toThrow(/nests deeper than 8/);
    expect(() => assertMetadataBounds({ blob: 'x'.repeat(17_000) })).toThrow(expect.objectContaining({ code: 'WSM_METADATA_TOO_LARGE' }));
    expect(() => assertMetadataBounds({ blob: 'x'.repeat(16_000) })).not.toThrow();
  });
});

describe('listing pages', () => {
  const sessions = ['c', 'a', 'e', 'b', 'd'].map((sessionId, index) => ({
    sessionId,
    status: index % 2 === 0 ? ('ready' as const) : ('stopped' as const),
    engine: 'simulated' as const,
  }));

  it('orders by sessionId and walks every page once with the cursor', () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = pageOf(sessions, { limit: 2, ...(cursor === undefined ? {} : { cursor }) });
      expect(page.total).toBe(5);
      seen.push(...page.items.map((session) => session.sessionId));
      cursor = page.next;
    } while (cursor !== undefined);
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('filters, and refuses a cursor it did not make', () => {
    expect(pageOf(sessions, { statuses: new Set(['ready']) }).items.map((session) => session.sessionId)).toEqual(['c', 'd', 'e']);
    expect(decodeCursor(encodeCursor('shop-42'))).toBe('shop-42');
    expect(() => decodeCursor('not a cursor!')).toThrow(expect.objectContaining({ code: 'WSM_VALIDATION_FAILED' }));
  });
});

describe('messages and masks', () => {
  it('names the field and lists allowed values', () => {
    expect(describeIssue({ instancePath: '/webhooks/0/events/1', keyword: 'enum', params: { allowedValues: ['a', 'b'] } }, 'body')).toBe(
      'body.webhooks[0].events[1] must be one of: "a", "b"',
    );
    expect(describeIssue({ instancePath: '/text', keyword: 'type', params: { type: 'string' } }, 'body')).toBe('body.text must be a string');
    expect(describeIssue({ instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'foo' } }, 'body')).toBe(
      "body has an unknown field 'foo'",
    );
  });

  it('masks credentials in URLs and reads charsets', () => {
    expect(maskCredentials('https://user:hunter2@hooks.example.com/x?y=1')).toBe('https://user:***@hooks.example.com/x?y=1');
    expect(maskCredentials('https://tok3n@hooks.example.com')).toBe('https://***@hooks.example.com');
    expect(maskCredentials('http://proxy.example.com:3128')).toBe('http://proxy.example.com:3128');
    expect(charsetOf('application/json; charset=UTF-16')).toBe('UTF-16');
    expect(charsetOf('application/json')).toBeUndefined();
  });
});
