import { z } from 'zod';
import { EventEnvelopeSchema } from './event.schema';

// Topics a client may follow: `agent:<uuid>` or `job:<uuid>`.
export const TopicSchema = z
  .string()
  .regex(/^(agent|job):[0-9a-f-]{36}$/i, 'topic must be "agent:<id>" or "job:<id>"');
export type Topic = z.infer<typeof TopicSchema>;

export const parseTopic = (topic: Topic): { kind: 'agent' | 'job'; id: string } => {
  const [kind, id] = topic.split(':') as ['agent' | 'job', string];
  return { kind, id: id.toLowerCase() };
};

export const ClientFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('subscribe'), topic: TopicSchema, since: z.int().min(0).optional() }),
  z.strictObject({ type: z.literal('unsubscribe'), topic: TopicSchema }),
  z.strictObject({ type: z.literal('ping') }),
]);
export type ClientFrame = z.infer<typeof ClientFrameSchema>;

export const ServerFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribed'), topic: z.string() }),
  z.object({ type: z.literal('unsubscribed'), topic: z.string() }),
  z.object({ type: z.literal('pong') }),
  z.object({ type: z.literal('event'), topic: z.string(), seq: z.int().positive(), event: EventEnvelopeSchema }),
  /** A live-only event (`agent.token`): no seq, not replayed on resume. */
  z.object({ type: z.literal('live'), topic: z.string(), event: EventEnvelopeSchema }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string(), topic: z.string().optional() }),
]);
export type ServerFrame = z.infer<typeof ServerFrameSchema>;
