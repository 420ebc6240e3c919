import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

// A minimal guard for tenants' MCP URLs (DESIGN.md invariant 9): the host is resolved and every
// address must be public. A shared guard (with redirects and pinning) belongs in a network lib;
// this one checks each request the MCP transport makes, so a redirect or a re-resolved name is
// checked again.
const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, bits, 'ipv6');

export class UrlRefused extends Error {}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return blocked.check(mapped[1], 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return family === 4 ? blocked.check(address, 'ipv4') : true;
}

/** Refuses a URL whose host is, or resolves to, a loopback, private, link-local or metadata address. */
export async function assertPublicUrl(url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  const bad = addresses.find(isPrivateAddress);
  if (bad !== undefined)
    throw new UrlRefused(
      `${url.host} resolves to a private or loopback address (${bad}): refused (the operator may allow it with WIZ_ALLOW_PRIVATE_URLS=true)`,
    );
}

/** A fetch that checks every URL it is asked for before fetching it. */
export const guardedFetch =
  (base: typeof fetch = fetch): typeof fetch =>
  async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    await assertPublicUrl(url);
    return base(input, init);
  };
