import { z } from 'zod';

// Event types picked by name or glob (`*`: any run of characters, `?`: one; matched by
// globMatcher): `job.completed`, `job.*`, `*`. One notation wherever a client picks events: a
// webhook's `events`, a WebSocket subscription's `events`, an SSE stream's `?events=`.
export const EVENT_GLOB = /^[a-z*?][a-z0-9.*?-]{0,99}$/;

export const EventGlobsSchema = z.array(z.string().regex(EVENT_GLOB, 'an event type or a glob of one')).min(1).max(50);
