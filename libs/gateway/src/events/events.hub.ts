import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { JsMsg, Msg, Subscription as NatsSubscription } from 'nats';
import {
  EventEnvelope,
  globMatcher,
  notFound,
  parseEventSubject,
  parseTopic,
  rateLimited,
  ServerFrame,
  Topic,
  topicKey,
} from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { BusService, firstEventSeq, followEvents, lastEventSeq, LiveInterest, replayEventPages } from '@wiz/bus';
import { AgentsRepository, ConversationsRepository, JobsRepository } from '@wiz/persistence';
import { EventSource, OwnerResolver } from './owner-resolver';

export interface EventClient {
  readonly id: string;
  readonly ownerId: string;
  /** The API key the client authenticated with (none with authentication off). */
  readonly keyId?: string;
  /** Takes `live` token frames (a WebSocket client): its topics' model calls stream while it follows them. */
  readonly tokens?: boolean;
  /** `text`, when given, is `frame` already serialised (shared by every client of a topic). */
  send(frame: ServerFrame, text?: string): void;
  /**
   * Resolves once the client has read enough of what was sent to take more (at once when it
   * has); false when it is gone (closed, or cut off for not reading).
   */
  writable(): Promise<boolean>;
}

/** Live events kept for a subscription while its replay runs; past it, the replay reads them. */
const MAX_LIVE_BUFFER = 1_024;
/** A hub key (`job:<id>`) as a LiveInterest key (`job.<id>`). */
const interestKey = (key: string) => key.replace(':', '.');

interface Subscription {
  client: EventClient;
  /** The topic as the client sees it (`owner`, `agent:<id>`…). */
  topic: string;
  /** Highest sequence sent; nothing at or below it is sent again. */
  lastSent: number;
  /** Live events that arrived while the replay ran (null: live). */
  buffer: JsMsg[] | null;
  /** More live events arrived than the buffer keeps: the replay runs again from `lastSent`. */
  overflowed?: boolean;
  /** A conversation topic: its agents when it was subscribed, whose own events (status…) it carries. */
  agents?: Set<string>;
  /** The event types the client asked for (`events`); all when absent. */
  accepts?: (type: string) => boolean;
  /** It takes its topic's token frames: the topic's model calls stream for it (LiveInterest). */
  tokens: boolean;
}

/** An event's type, from its subject (no parse of its body). */
const typeOf = (m: JsMsg): string => parseEventSubject(m.subject)?.type ?? '';

/** The agent and job, or the conversation, an event's subject names (see parseEventSubject). */
const idsOf = (subject: string): { source: EventSource; agentId?: string; jobId?: string; conversationId?: string } => {
  const s = parseEventSubject(subject);
  if (s?.kind === 'conversation')
    return { source: { kind: 'conversation', id: s.conversationId }, conversationId: s.conversationId };
  // An agent's subject (a subject of no agent reaches nobody: `_` is no one's agent id).
  return { source: { kind: 'agent', id: s?.agentId ?? '_' }, agentId: s?.agentId, jobId: s?.jobId };
};

/** The conversation a job event belongs to (in its envelope), without a full parse when it has none. */
const conversationOfJobEvent = (m: JsMsg): string | undefined => {
  if (!m.string().includes('"conversationId"')) return undefined;
  try {
    return m.json<EventEnvelope>().conversationId;
  } catch {
    return undefined;
  }
};

// Relays lifecycle events from JetStream to subscribed clients (WS and SSE). One ordered
// consumer follows the whole events stream for this gateway and fans out in memory; a
// subscription with `since` first replays from the stream with its own short-lived consumer,
// buffering live events, then switches to live — so a reconnecting client misses nothing and
// sees nothing twice. Events come from JetStream, never from memory: any replica serves anyone.
// A `conversation:<id>` topic carries the conversation's own events (its subject) and the
// events of the jobs its messages created (agent subjects, `conversationId` in the envelope),
// and the events of its agents that belong to no job (their status, updates).
@Injectable()
export class EventsHub implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('EventsHub');
  /** Subscriptions by internal key: `agent:<id>`, `job:<id>`, `owner:<ownerId>`. */
  private readonly byKey = new Map<string, Map<string, Subscription>>();
  private ownerSubs = 0;
  private conversationSubs = 0;
  /** Live events waiting for their owner to be looked up (owner topic), in stream order. */
  private readonly ownerQueue: JsMsg[] = [];
  private pumping = false;
  private liveSeq = 0;
  private stopLive?: () => Promise<void>;
  private tokens?: NatsSubscription;
  /** Replays running, by API key (or owner, with authentication off). */
  private readonly replays = new Map<string, number>();

  constructor(
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly bus: BusService,
    private readonly agents: AgentsRepository,
    private readonly jobs: JobsRepository,
    private readonly conversations: ConversationsRepository,
    private readonly owners: OwnerResolver,
    private readonly interest: LiveInterest,
  ) {}

  /** The last sequence this gateway has seen on the live feed. */
  get lastSeq(): number {
    return this.liveSeq;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.liveSeq = await lastEventSeq(this.bus);
    this.stopLive = await followEvents(this.bus, this.liveSeq, (m) => this.dispatch(m));
    // Live-only events (token deltas) come over core NATS: relayed as they arrive, never replayed.
    this.tokens = this.bus.nc.subscribe(this.bus.names.liveAll(), { callback: (err, m) => err || this.relayLive(m) });
  }

  async onApplicationShutdown(): Promise<void> {
    this.tokens?.unsubscribe();
    await this.stopLive?.();
  }

  /** Checks the client's owner may follow `topic` (else `not_found`), then follows it. */
  async subscribe(
    client: EventClient,
    topic: Topic,
    since?: number,
    opts: { limitReplays?: boolean; events?: readonly string[] } = {},
  ): Promise<void> {
    const parsed = parseTopic(topic);
    const { kind, id } = parsed;
    const owned =
      kind === 'owner' ||
      (kind === 'agent' && (await this.agents.findById(client.ownerId, id)) !== null) ||
      (kind === 'job' && (await this.jobs.findById(client.ownerId, id)) !== null) ||
      (kind === 'conversation' && (await this.conversations.findById(client.ownerId, id)) !== null);
    if (!owned) throw notFound(kind, id);
    const release = since === undefined || opts.limitReplays === false ? undefined : this.holdReplay(client);
    try {
      await this.follow(client, parsed, since, opts.events && globMatcher(opts.events));
    } finally {
      release?.();
    }
  }

  // At most WIZ_MAX_REPLAYS_PER_KEY replays per key at once: each reads the stream page by page.
  private holdReplay(client: EventClient): () => void {
    const key = client.keyId ? `key:${client.keyId}` : `owner:${client.ownerId}`;
    const running = this.replays.get(key) ?? 0;
    const max = this.config.WIZ_MAX_REPLAYS_PER_KEY;
    if (running >= max)
      throw rateLimited(`${max} replays (since) are already running for this API key; retry when one ends`, 1);
    this.replays.set(key, running + 1);
    return () => {
      const left = (this.replays.get(key) ?? 1) - 1;
      if (left > 0) this.replays.set(key, left);
      else this.replays.delete(key);
    };
  }

  private async follow(
    client: EventClient,
    parsed: ReturnType<typeof parseTopic>,
    since?: number,
    accepts?: (type: string) => boolean,
  ): Promise<void> {
    const { kind, id } = parsed;
    const key = kind === 'owner' ? `owner:${client.ownerId}` : topicKey(parsed);
    const sub: Subscription = {
      client,
      topic: topicKey(parsed),
      lastSent: since ?? this.liveSeq,
      buffer: since === undefined ? null : [],
      accepts,
      // Token frames are for following one thing (not the owner topic), by a client that takes
      // them, when its `events` let `agent.token` through.
      tokens: kind !== 'owner' && client.tokens === true && (!accepts || accepts('agent.token')),
    };
    if (kind === 'conversation') {
      const members = await this.conversations.participants(client.ownerId, id);
      sub.agents = new Set(members.filter((p) => p.kind === 'agent').map((p) => p.participantId));
    }
    // Token deltas stream while someone takes them from the job, its agent or its conversation:
    // said before `subscribed`, so the job a client submits next streams. A re-subscribe that
    // changes `events` may take or give up the client's interest.
    const before = this.add(key, sub);
    if (sub.tokens && !before?.tokens) await this.interest.hold(interestKey(key));
    else if (!sub.tokens && before?.tokens) void this.interest.release(interestKey(key));
    client.send({ type: 'subscribed', topic: sub.topic, seq: sub.lastSent });
    if (since === undefined) return;
    const first = await firstEventSeq(this.bus);
    if (since + 1 < first) {
      // Aged out (WIZ_EVENTS_MAX_AGE_HOURS): say so rather than let the client believe it saw all.
      client.send({
        type: 'error',
        code: 'gone',
        topic: sub.topic,
        message: `events ${since + 1}–${first - 1} have expired; replaying from ${first}`,
      });
    }
    const current = () => this.byKey.get(key)?.get(client.id) === sub;
    try {
      // Again from where it got to while live events overflowed the buffer (a long replay on a
      // busy stream): they are on the stream.
      do {
        sub.buffer = [];
        sub.overflowed = false;
        const ok = await this.replay(sub, kind, id, current);
        if (!ok || !current()) return;
      } while (sub.overflowed);
    } finally {
      const buffered = sub.buffer ?? [];
      sub.buffer = null;
      sub.overflowed = false;
      if (current()) buffered.forEach((m) => this.deliver(sub, m));
    }
  }

  /** One pass over the stream after `sub.lastSent`; false if the client went away meanwhile. */
  private async replay(
    sub: Subscription,
    kind: ReturnType<typeof parseTopic>['kind'],
    id: string,
    current: () => boolean,
  ): Promise<boolean> {
    const filter =
      kind === 'agent'
        ? this.bus.names.agentEventsFilter(id)
        : kind === 'job'
          ? this.bus.names.jobEventsFilter(id)
          : this.bus.names.eventsAll();
    // The owner and conversation topics have no subject of their own: their events are kept
    // page by page, here.
    const mine =
      kind === 'owner'
        ? (m: JsMsg) => this.ownedBy(m, sub.client.ownerId)
        : kind === 'conversation'
          ? (m: JsMsg) => inConversation(m, id, sub.agents)
          : () => true;
    let gone = false;
    await replayEventPages(this.bus, filter, sub.lastSent, async (page) => {
      for (const m of page) {
        if (!(await mine(m))) continue;
        this.deliver(sub, m);
        // Wait for the client to read what it has before sending more: memory stays bounded.
        if (!(await sub.client.writable()) || !current()) {
          gone = true;
          return false;
        }
      }
      return true;
    });
    return !gone;
  }

  private async ownedBy(m: JsMsg, ownerId: string): Promise<boolean> {
    const { source } = idsOf(m.subject);
    const owner = this.owners.known(source) ?? (await this.owners.resolve(source).catch(() => null));
    return owner === ownerId;
  }

  unsubscribe(client: EventClient, topic: Topic): boolean {
    const parsed = parseTopic(topic);
    const key = parsed.kind === 'owner' ? `owner:${client.ownerId}` : topicKey(parsed);
    return this.remove(key, client.id);
  }

  drop(client: EventClient): void {
    for (const key of [...this.byKey.keys()]) this.remove(key, client.id);
  }

  /** The client's subscription to `key` this one replaces, if it followed `key` already. */
  private add(key: string, sub: Subscription): Subscription | undefined {
    const subs = this.byKey.get(key) ?? new Map<string, Subscription>();
    this.byKey.set(key, subs);
    const before = subs.get(sub.client.id);
    if (key.startsWith('owner:') && !before) this.ownerSubs++;
    if (key.startsWith('conversation:') && !before) this.conversationSubs++;
    subs.set(sub.client.id, sub);
    return before;
  }

  private remove(key: string, clientId: string): boolean {
    const subs = this.byKey.get(key);
    const sub = subs?.get(clientId);
    const removed = subs?.delete(clientId) ?? false;
    if (removed && key.startsWith('owner:')) this.ownerSubs--;
    if (removed && key.startsWith('conversation:')) this.conversationSubs--;
    if (removed && sub?.tokens) void this.interest.release(interestKey(key));
    if (subs?.size === 0) this.byKey.delete(key);
    return removed;
  }

  private dispatch(m: JsMsg): void {
    this.liveSeq = m.seq;
    const { agentId, jobId, conversationId } = idsOf(m.subject);
    if (agentId) this.fanOut(this.byKey.get(`agent:${agentId}`), m);
    if (jobId) this.fanOut(this.byKey.get(`job:${jobId}`), m);
    if (conversationId) this.fanOut(this.byKey.get(`conversation:${conversationId}`), m);
    else if (jobId && this.conversationSubs > 0) {
      const linked = conversationOfJobEvent(m);
      if (linked) this.fanOut(this.byKey.get(`conversation:${linked}`), m);
    } else if (agentId && this.conversationSubs > 0) {
      // An agent's own event (rare): to the conversations that follow it.
      for (const [key, subs] of this.byKey) {
        if (key.startsWith('conversation:'))
          this.fanOut(new Map([...subs].filter(([, s]) => s.agents?.has(agentId))), m);
      }
    }
    if (this.ownerSubs > 0) {
      this.ownerQueue.push(m);
      void this.pumpOwners();
    }
  }

  // Token deltas reach the subscribers of their agent, of their job and of the conversation the
  // job answers (not the owner topic: live frames are for following one thing as it happens).
  private relayLive(m: Msg): void {
    const s = parseEventSubject(m.subject);
    if (s?.kind !== 'agent') return;
    const agentSubs = s.agentId ? this.byKey.get(`agent:${s.agentId}`) : undefined;
    const jobSubs = s.jobId ? this.byKey.get(`job:${s.jobId}`) : undefined;
    if (!agentSubs && !jobSubs && this.conversationSubs === 0) return;
    let event: EventEnvelope;
    try {
      event = m.json<EventEnvelope>();
    } catch {
      return;
    }
    const conversationSubs = event.conversationId ? this.byKey.get(`conversation:${event.conversationId}`) : undefined;
    for (const subs of [agentSubs, jobSubs, conversationSubs]) {
      for (const sub of subs?.values() ?? [])
        if (!sub.accepts || sub.accepts(event.type)) sub.client.send({ type: 'live', topic: sub.topic, event });
    }
  }

  // One parse and one serialisation per event and topic, whatever the number of clients.
  private fanOut(subs: Map<string, Subscription> | undefined, m: JsMsg): void {
    if (!subs || subs.size === 0) return;
    let frame: ServerFrame | null | undefined;
    let text: string | undefined;
    let type: string | undefined;
    for (const sub of subs.values()) {
      if (sub.buffer) {
        if (sub.overflowed) continue;
        if (sub.buffer.length < MAX_LIVE_BUFFER) sub.buffer.push(m);
        else {
          sub.buffer = [];
          sub.overflowed = true;
        }
        continue;
      }
      if (m.seq <= sub.lastSent) continue;
      if (sub.accepts && !sub.accepts((type ??= typeOf(m)))) {
        sub.lastSent = m.seq;
        continue;
      }
      if (frame === undefined) {
        frame = this.frameOf(sub.topic, m);
        text = frame ? JSON.stringify(frame) : undefined;
      }
      if (!frame) return;
      sub.lastSent = m.seq;
      sub.client.send(frame, text);
    }
  }

  private frameOf(topic: string, m: JsMsg): ServerFrame | null {
    try {
      return { type: 'event', topic, seq: m.seq, event: m.json<EventEnvelope>() };
    } catch {
      this.log.warn(`skipping unreadable event ${m.seq} on ${m.subject}`);
      return null;
    }
  }

  // Owner-topic events in stream order: each waits for its owner to be known (a cache hit
  // for every agent but a new one).
  private async pumpOwners(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.ownerQueue.length > 0) {
        const m = this.ownerQueue[0]!;
        const { source } = idsOf(m.subject);
        const owner = this.owners.known(source) ?? (await this.owners.resolve(source).catch(() => null));
        this.ownerQueue.shift();
        if (owner) this.fanOut(this.byKey.get(`owner:${owner}`), m);
      }
    } finally {
      this.pumping = false;
    }
  }

  private deliver(sub: Subscription, m: JsMsg): void {
    if (m.seq <= sub.lastSent) return;
    sub.lastSent = m.seq;
    if (sub.accepts && !sub.accepts(typeOf(m))) return;
    const frame = this.frameOf(sub.topic, m);
    if (frame) sub.client.send(frame);
  }
}

/** Whether `m` belongs on `conversation:<id>`: its own subject, its jobs' events, its agents' own events. */
function inConversation(m: JsMsg, conversationId: string, agents?: Set<string>): boolean {
  const ids = idsOf(m.subject);
  if (ids.conversationId) return ids.conversationId === conversationId;
  if (ids.jobId) return conversationOfJobEvent(m) === conversationId;
  return ids.agentId !== undefined && agents?.has(ids.agentId) === true;
}
