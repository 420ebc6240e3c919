import { lookup as lookupCallback, LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP, LookupFunction } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';

/** Who may be reached besides the public internet (the operator's choice, from the config). */
export interface UrlPolicy {
  /** Refuse private targets at all (authentication on: tenants give the URLs). */
  guard: boolean;
  /** Allow every private target anyway (WIZ_ALLOW_PRIVATE_URLS). */
  allowPrivate?: boolean;
  /** Host names, addresses or CIDR ranges allowed although private (WIZ_ALLOWED_PRIVATE_HOSTS). */
  allow?: string[];
}

export class UrlRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UrlRefused';
  }
}

// Loopback, private, link-local (cloud metadata at 169.254.169.254), CGNAT, unspecified,
// multicast and reserved ranges: nothing a tenant's URL should reach on the server's network.
const PRIVATE = new BlockList();
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
  ['224.0.0.0', 3],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

/** Whether an IP address (v4 or v6, v4-mapped included) is not on the public internet. */
export function isPrivateAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  if (mapped) return isPrivateAddress(mapped);
  const family = isIP(ip);
  if (!family) return true;
  return PRIVATE.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

function allowed(host: string, ip: string, allow: string[]): boolean {
  return allow.some((entry) => {
    const [net, bits] = entry.split('/');
    if (bits === undefined) return entry.toLowerCase() === host.toLowerCase() || entry === ip;
    const family = isIP(net!);
    if (!family || !isIP(ip) || isIP(ip) !== family) return false;
    const list = new BlockList();
    list.addSubnet(net!, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
    return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  });
}

/**
 * Refuses (UrlRefused) a URL that is not http(s), or whose host resolves to a private address
 * the policy does not allow. Every address the name resolves to is checked.
 */
export async function assertPublicUrl(url: string | URL, policy: UrlPolicy): Promise<URL> {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UrlRefused(`${u.protocol} URLs are not allowed`);
  if (!policy.guard || policy.allowPrivate) return u;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  for (const ip of addresses) {
    const why = refusal(host, ip, policy);
    if (why) throw new UrlRefused(why);
  }
  return u;
}

/** Why an address is refused under a policy, or undefined when it may be reached. */
function refusal(host: string, ip: string, policy: UrlPolicy): string | undefined {
  if (!isPrivateAddress(ip) || allowed(host, ip, policy.allow ?? [])) return undefined;
  return `${host} resolves to ${ip}, a private or local address: refused (the operator may allow it with WIZ_ALLOWED_PRIVATE_HOSTS)`;
}

/**
 * A DNS lookup for `net.connect` that refuses private answers: the connection goes to exactly the
 * address that was checked, so a name that changes its answer between a check and the connection
 * (DNS rebinding) cannot slip through.
 */
function checkedLookup(policy: UrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    lookupCallback(hostname, { ...options, all: true }, (err, answers: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      for (const a of answers) {
        const why = refusal(hostname, a.address, policy);
        if (why) return callback(new UrlRefused(why), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, answers);
      const first = answers[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

// One connection pool per policy (policies come from the config: a handful per process).
const pinned = new Map<string, typeof fetch>();

/**
 * A `fetch` whose connections are checked where they are made: every address a name resolves to
 * at connection time must pass the policy (IP literals are checked by assertPublicUrl, which
 * callers run first for a clear message). Redirects are not followed here: see guardedFetch.
 * Without a guard it is the global fetch.
 */
export function pinnedFetch(policy: UrlPolicy): typeof fetch {
  if (!policy.guard || policy.allowPrivate) return fetch;
  const key = JSON.stringify([policy.allow ?? []]);
  let f = pinned.get(key);
  if (!f) {
    const dispatcher = new Agent({ connect: { lookup: checkedLookup(policy) } });
    f = (async (input: string | URL | Request, init?: RequestInit) => {
      // undici's own fetch does not know the global Request class: pass its parts.
      if (input instanceof Request) {
        const { url, method, headers, body, signal } = input;
        return undiciFetch(url, { method, headers, body, signal, duplex: 'half', ...init, dispatcher } as never);
      }
      return undiciFetch(input, { ...init, dispatcher } as never);
    }) as unknown as typeof fetch;
    pinned.set(key, f);
  }
  return f;
}

const MAX_REDIRECTS = 5;

/**
 * A `fetch` for user-given URLs (the AI SDK's `fetch` option): each request, and each redirect
 * it follows, goes through assertPublicUrl first, and its connection through pinnedFetch.
 */
export function guardedFetch(policy: UrlPolicy, base: typeof fetch = pinnedFetch(policy)): typeof fetch {
  return async (input, init) => {
    let url = new URL(input instanceof Request ? input.url : String(input));
    let request = init;
    for (let hop = 0; ; hop++) {
      await assertPublicUrl(url, policy);
      const res = await base(input instanceof Request && hop === 0 ? input : url, { ...request, redirect: 'manual' });
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return res;
      if (hop >= MAX_REDIRECTS) throw new UrlRefused(`more than ${MAX_REDIRECTS} redirects`);
      url = new URL(location, url);
      // 303 (and 301/302 after a POST, as browsers do) continue as GET without a body.
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && request?.method === 'POST'))
        request = { ...request, method: 'GET', body: undefined };
    }
  };
}
