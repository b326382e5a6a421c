/**
 * The address guard (BLOCK_PRIVATE_ADDRESSES): outbound requests that an API client chooses the target of
 * (webhook targets, media URLs) must not reach the service's own machine or network. Loopback, private,
 * shared (CGNAT), link-local (cloud metadata at 169.254.169.254 included), multicast and reserved ranges are
 * refused, for IPv4, IPv6, and IPv4 inside IPv6. Checked when a target is registered and again at every
 * connection (the resolver is the agent's), so a name that later resolves elsewhere is still caught.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { lookup as lookupAll } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';

const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible or NAT64 (64:ff9b::) address. */
function embeddedIpv4(address: string): string | undefined {
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const high = Number.parseInt(hex[1]!, 16);
  const low = Number.parseInt(hex[2]!, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** True for an address the guard refuses; a string that is not an IP address is refused too. */
export function isBlockedAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return blocked.check(bare, 'ipv4');
  if (family === 6) {
    const inner = embeddedIpv4(bare);
    return inner !== undefined ? blocked.check(inner, 'ipv4') : blocked.check(bare, 'ipv6');
  }
  return true;
}

export class BlockedAddressError extends Error {
  readonly code = 'WSM_ADDRESS_BLOCKED';
  constructor(readonly host: string, readonly address: string) {
    super(`${host} resolves to ${address}, an address BLOCK_PRIVATE_ADDRESSES refuses`);
    this.name = 'BlockedAddressError';
  }
}

/** The first refused address `host` resolves to, or undefined when all are allowed. Rejects if it does not resolve. */
export async function blockedAddressOf(host: string): Promise<string | undefined> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 0) return isBlockedAddress(bare) ? bare : undefined;
  const addresses = await lookupAll(bare, { all: true });
  return addresses.find(({ address }) => isBlockedAddress(address))?.address;
}

/**
 * A resolver for http(s) requests that fails a connection to any address `isBlocked` refuses. The policy is a
 * parameter so a test can allow the one loopback address its own server listens on and keep every other rule.
 */
export function lookupRefusing(isBlocked: (address: string) => boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...(options as LookupOneOptions), all: true } as LookupAllOptions, (error, addresses: LookupAddress[]) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const refused = addresses.find(({ address }) => isBlocked(address));
      if (refused !== undefined) {
        callback(new BlockedAddressError(hostname, refused.address) as unknown as NodeJS.ErrnoException, '', 0);
        return;
      }
      if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/** A resolver for http(s) agents that fails a connection to any refused address. */
export const guardedLookup: LookupFunction = lookupRefusing(isBlockedAddress);
