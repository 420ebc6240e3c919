import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

// A small guard for URLs that tenants give (webhook receivers): with authentication on, a URL
// whose host resolves to a loopback, private, link-local (cloud metadata), unspecified or
// multicast address is refused, unless the operator allows private URLs. Checked when the URL
// is registered and again before each send (DNS may change in between).
const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
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

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return blocked.check(mapped, 'ipv4');
  const family = isIP(address);
  return family === 4 ? blocked.check(address, 'ipv4') : family === 6 ? blocked.check(address, 'ipv6') : true;
}

/** Null when `url` may be called; else why not. */
export async function privateUrlReason(url: string): Promise<string | null> {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return 'not a URL';
  }
  const addresses = isIP(host)
    ? [host]
    : await lookup(host, { all: true }).then(
        (r) => r.map((a) => a.address),
        () => null,
      );
  if (!addresses?.length) return `${host} does not resolve`;
  const bad = addresses.find(isPrivateAddress);
  return bad ? `${host} resolves to ${bad}, a loopback, private or link-local address` : null;
}
