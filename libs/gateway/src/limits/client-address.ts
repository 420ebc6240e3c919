import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/** Express's compiled `trust proxy` (WIZ_TRUST_PROXY), as `app.get('trust proxy fn')` gives it. */
export type TrustFn = (addr: string, i: number) => boolean;

// The client of a request that does not pass through Express (the WebSocket upgrade), found
// as Express finds `req.ip`: the TCP peer, or X-Forwarded-For through the trusted proxies.
export function clientAddress(req: IncomingMessage, trust: TrustFn | undefined): string {
  if (!trust) return req.socket.remoteAddress ?? 'unknown';
  return proxyaddr(req, trust);
}
