import { z } from 'zod';
import { EventEnvelopeSchema } from './event.schema';
import { EventGlobsSchema } from './event-glob';
import { ERROR_CODES } from './errors';

// Topics a client may follow: one job, one agent, one conversation, or everything of its owner.
export const TOPIC_KINDS = ['agent', 'job', 'conversation', 'owner'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];
export const TopicSchema = z
  .string()
  .regex(
    /^((agent|job|conversation):[0-9a-f-]{36}|owner)$/i,
    'topic must be "agent:<id>", "job:<id>", "conversation:<id>" or "owner"',
  );
export type Topic = z.infer<typeof TopicSchema>;

export const parseTopic = (topic: Topic): { kind: TopicKind; id: string } => {
  if (topic.toLowerCase() === 'owner') return { kind: 'owner', id: '' };
  const [kind, id] = topic.split(':') as [TopicKind, string];
  return { kind: kind.toLowerCase() as TopicKind, id: id.toLowerCase() };
};

/** The canonical spelling of a topic (lower case), used as the `topic` of server frames. */
export const topicKey = (t: { kind: TopicKind; id: string }): string =>
  t.kind === 'owner' ? 'owner' : `${t.kind}:${t.id}`;

export const ClientFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('auth'),
    key: z.string().min(1).max(200).describe('an API key, for clients that cannot send an Authorization header'),
  }),
  z.strictObject({
    type: z.literal('subscribe'),
    topic: TopicSchema,
    since: z.int().min(0).optional().describe('replay the events after this sequence number, then continue live'),
    events: EventGlobsSchema.optional().describe(
      'only the events whose type matches one of these names or globs (`job.completed`, `job.*`)',
    ),
  }),
  z.strictObject({ type: z.literal('unsubscribe'), topic: TopicSchema }),
  z.strictObject({ type: z.literal('ping') }),
]);
export type ClientFrame = z.infer<typeof ClientFrameSchema>;

export const ServerFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('authenticated'), ownerId: z.string() }),
  z.object({
    type: z.literal('subscribed'),
    topic: z.string(),
    seq: z
      .int()
      .min(0)
      .optional()
      .describe("the topic's position: every event after this sequence number follows; resume with `since` = seq"),
  }),
  z.object({ type: z.literal('unsubscribed'), topic: z.string() }),
  z.object({ type: z.literal('pong') }),
  z.object({
    type: z.literal('event'),
    topic: z.string(),
    seq: z.int().positive().describe('sequence number in the events stream: resume with `since`'),
    event: EventEnvelopeSchema,
  }),
  z
    .object({
      type: z.literal('live'),
      topic: z.string(),
      event: EventEnvelopeSchema,
    })
    .describe('a live-only event (`agent.token`): no seq, not replayed on resume'),
  z.object({ type: z.literal('error'), code: z.enum(ERROR_CODES), message: z.string(), topic: z.string().optional() }),
]);
export type ServerFrame = z.infer<typeof ServerFrameSchema>;

/** `GET /api/v1/{jobs,agents}/:id/events`: `since` for clients that cannot send Last-Event-ID. */
export const SseQuerySchema = z.strictObject({
  since: z.coerce.number().int().min(0).optional(),
  /** Comma-separated event types or globs, as a subscription's `events`. */
  events: z
    .string()
    .max(2_000)
    .transform((s) => s.split(','))
    .pipe(EventGlobsSchema)
    .optional(),
});
export type SseQuery = z.infer<typeof SseQuerySchema>;
