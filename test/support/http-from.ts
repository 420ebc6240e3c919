import { request } from 'node:http';

export interface FromResult {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * A GET from a chosen loopback source address (127.0.0.2, 127.0.0.3…: Linux answers the whole
 * 127/8), so a test can be several clients to the gateway's per-address counters.
 */
export function getFrom(from: string, url: string, headers: Record<string, string> = {}): Promise<FromResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', localAddress: from, headers }, (res) => {
      // An event stream that was accepted never ends by itself: the status is what matters.
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        res.destroy();
        return resolve({ status: res.statusCode ?? 0, body: undefined, headers: res.headers });
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Counters count per wall-clock minute: a test that needs several requests in one window starts
 * at least `margin` ms before the minute ends (waiting for the next minute if it must).
 */
export async function clearOfMinuteEdge(margin = 15_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < margin) await new Promise((r) => setTimeout(r, left + 50));
}
