import { z } from 'zod';

// Event types picked by name or glob (`*`: any run of characters, `?`: one): `job.completed`,
// `job.*`, `*`. One notation wherever a client picks events: a webhook's `events`, a WebSocket
// subscription's `events`, an SSE stream's `?events=`.
export const EVENT_GLOB = /^[a-z*?][a-z0-9.*?-]{0,99}$/;

export const EventGlobsSchema = z.array(z.string().regex(EVENT_GLOB, 'an event type or a glob of one')).min(1).max(50);

// Matched without a regular expression: a glob of many stars compiled to `.*.*.*…` backtracks
// exponentially on a type it does not match (12 stars and an `x` took 3 s against
// `job.waiting-children`), and globs come from tenants. This walk is linear in the type's length
// for each star at most: it backtracks only to the last star seen.
/** Whether event type `type` matches glob `glob`. */
export function eventMatches(glob: string, type: string): boolean {
  let g = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < type.length) {
    const c = glob[g];
    if (c === '*') {
      star = g++;
      resume = t;
    } else if (c !== undefined && (c === '?' || c === type[t])) {
      g++;
      t++;
    } else if (star >= 0) {
      g = star + 1;
      t = ++resume;
    } else return false;
  }
  while (glob[g] === '*') g++;
  return g === glob.length;
}

/** A test of event types against `globs` (any one matching); plain names are a set look-up. */
export function eventFilter(globs: readonly string[]): (type: string) => boolean {
  const names = new Set<string>();
  const patterns: string[] = [];
  for (const g of globs) {
    if (/[*?]/.test(g)) patterns.push(g);
    else names.add(g);
  }
  return (type) => names.has(type) || patterns.some((g) => eventMatches(g, type));
}
