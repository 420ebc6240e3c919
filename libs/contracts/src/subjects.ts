// The one table of NATS names. Every subject, stream, consumer and KV bucket name is built here
// from the installation prefix (WIZ_BUS_PREFIX). These are a wire format: never rename one
// without a migration note in CHANGELOG.md.
//
// Mailboxes: an agent's mailbox is its own subject `<p>.mailbox.<partition>.<agentId>`. Agents are
// spread over a fixed number of partitions and each partition has one durable consumer, so the
// server holds `partitions` consumers whatever the number of agents (NATS 2.9 allows one filter
// subject per consumer; per-agent consumers stop scaling in the low thousands, see docs/architecture.md).
//
// Events: `<p>.events.agent.<agentId>.<jobId|_>.<eventType>` so that a client can follow an agent
// (`<p>.events.agent.<agentId>.>`) or one job (`<p>.events.agent.*.<jobId>.>`) with one filter.
// Conversation events (messages) have no agent: `<p>.events.conversation.<conversationId>.<type>`.
// A job's events stay on its agent's subject and carry `conversationId` in their envelope.

import type { ControlKind } from './bus.schema';

export const BUS_PREFIX_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;
const NO_JOB = '_';

export interface BusNames {
  readonly prefix: string;
  readonly streams: { readonly mailbox: string; readonly events: string };
  mailboxSubject(partition: number, agentId: string): string;
  mailboxPartitionFilter(partition: number): string;
  mailboxConsumer(partition: number): string;
  /** The durable consumer on the events stream that fed outgoing webhooks in earlier versions (deleted at provisioning). */
  legacyWebhooksConsumer(): string;
  eventSubject(e: { agentId?: string; jobId?: string; conversationId?: string; type: string }): string;
  eventsAll(): string;
  agentEventsFilter(agentId: string): string;
  /** Every agent's events of one type (e.g. `agent.updated`). */
  agentEventTypeFilter(type: string): string;
  jobEventsFilter(jobId: string): string;
  conversationEventsFilter(conversationId: string): string;
  kvBucket(name: string): string;
  /** Core NATS (not stored) live events of a job, e.g. `agent.token`. */
  liveSubject(e: { agentId?: string; jobId?: string; type: string }): string;
  liveAll(): string;
  /** Core NATS control messages to every runtime or gateway (their payloads: CONTROL_MESSAGES). */
  control(kind: ControlKind): string;
  /** Core NATS request/reply served by one runtime of a queue group (e.g. `embed`). */
  request(kind: string): string;
}

export function busNames(prefix: string): BusNames {
  if (!BUS_PREFIX_PATTERN.test(prefix)) {
    throw new Error(`invalid bus prefix "${prefix}": must match ${BUS_PREFIX_PATTERN}`);
  }
  const p = prefix;
  return {
    prefix: p,
    streams: { mailbox: `${p}_mailbox`, events: `${p}_events` },
    mailboxSubject: (partition, agentId) => `${p}.mailbox.${partition}.${agentId}`,
    mailboxPartitionFilter: (partition) => `${p}.mailbox.${partition}.*`,
    mailboxConsumer: (partition) => `${p}_mailbox_${partition}`,
    legacyWebhooksConsumer: () => `${p}_webhooks`,
    eventSubject: ({ agentId, jobId, conversationId, type }) =>
      conversationId && !agentId
        ? `${p}.events.conversation.${conversationId}.${type}`
        : `${p}.events.agent.${agentId ?? NO_JOB}.${jobId ?? NO_JOB}.${type}`,
    eventsAll: () => `${p}.events.>`,
    liveSubject: ({ agentId, jobId, type }) => `${p}.live.agent.${agentId ?? NO_JOB}.${jobId ?? NO_JOB}.${type}`,
    liveAll: () => `${p}.live.>`,
    agentEventsFilter: (agentId) => `${p}.events.agent.${agentId}.>`,
    agentEventTypeFilter: (type) => `${p}.events.agent.*.*.${type}`,
    jobEventsFilter: (jobId) => `${p}.events.agent.*.${jobId}.>`,
    conversationEventsFilter: (conversationId) => `${p}.events.conversation.${conversationId}.>`,
    kvBucket: (name) => `${p}_${name}`,
    control: (kind) => `${p}.control.${kind}`,
    request: (kind) => `${p}.request.${kind}`,
  };
}

/** What an event subject (busNames.eventSubject) or live subject (liveSubject) names. */
export type EventSubject =
  | { stream: 'events' | 'live'; kind: 'agent'; agentId?: string; jobId?: string; type: string }
  | { stream: 'events'; kind: 'conversation'; conversationId: string; type: string };

/**
 * The ids and type in `<p>.events.agent.<agentId|_>.<jobId|_>.<type…>`,
 * `<p>.events.conversation.<conversationId>.<type…>` or `<p>.live.agent.<agentId|_>.<jobId|_>.<type…>`
 * (`_`: none). Null for any other subject.
 */
export function parseEventSubject(subject: string): EventSubject | null {
  const [, stream, kind, id, ...rest] = subject.split('.');
  if ((stream !== 'events' && stream !== 'live') || !id) return null;
  if (kind === 'conversation' && stream === 'events') {
    const type = rest.join('.');
    return type && id !== NO_JOB ? { stream, kind, conversationId: id, type } : null;
  }
  const [job, ...typeTokens] = rest;
  const type = typeTokens.join('.');
  if (kind !== 'agent' || !job || !type) return null;
  return {
    stream,
    kind,
    ...(id !== NO_JOB ? { agentId: id } : {}),
    ...(job !== NO_JOB ? { jobId: job } : {}),
    type,
  };
}

// Stable partition of an agent: FNV-1a of its id. Stored on the agent row at creation so that
// the mapping never moves under an agent's queued messages.
export function partitionOf(agentId: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < agentId.length; i++) {
    h ^= agentId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
