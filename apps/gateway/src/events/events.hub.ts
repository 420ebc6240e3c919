import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { JsMsg, Msg, Subscription as NatsSubscription } from 'nats';
import { EventEnvelope, notFound, parseTopic, ServerFrame, Topic } from '@wiz/contracts';
import { BusService, firstEventSeq, followEvents, lastEventSeq, replayEvents } from '@wiz/bus';
import { AgentsRepository, JobsRepository } from '@wiz/persistence';

export interface EventClient {
  readonly id: string;
  readonly ownerId: string;
  send(frame: ServerFrame): void;
}

interface Subscription {
  client: EventClient;
  topic: Topic;
  /** Highest sequence sent; nothing at or below it is sent again. */
  lastSent: number;
  /** Live events that arrived while the replay ran. */
  buffer: JsMsg[] | null;
}

// Relays lifecycle events from JetStream to subscribed clients. One ordered consumer follows
// the whole events stream for this gateway and fans out in memory; a subscription with `since`
// first replays from the stream with its own short-lived consumer, buffering live events, then
// switches to live — so a reconnecting client misses nothing and sees nothing twice.
@Injectable()
export class EventsHub implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('EventsHub');
  private readonly byTopic = new Map<string, Map<string, Subscription>>();
  private liveSeq = 0;
  private stopLive?: () => Promise<void>;
  private tokens?: NatsSubscription;

  constructor(
    private readonly bus: BusService,
    private readonly agents: AgentsRepository,
    private readonly jobs: JobsRepository,
  ) {}

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

  async subscribe(client: EventClient, topic: Topic, since?: number): Promise<void> {
    const { kind, id } = parseTopic(topic);
    const owned =
      kind === 'agent'
        ? (await this.agents.findById(client.ownerId, id)) !== null
        : (await this.jobs.findById(client.ownerId, id)) !== null;
    if (!owned) throw notFound(kind, id);
    const key = `${kind}:${id}`;
    const subs = this.byTopic.get(key) ?? new Map<string, Subscription>();
    this.byTopic.set(key, subs);
    const sub: Subscription = { client, topic, lastSent: since ?? this.liveSeq, buffer: since === undefined ? null : [] };
    subs.set(client.id, sub);
    client.send({ type: 'subscribed', topic });
    if (since === undefined) return;
    const first = await firstEventSeq(this.bus);
    if (since + 1 < first) {
      // Aged out (WIZ_EVENTS_MAX_AGE_HOURS): say so rather than let the client believe it saw all.
      client.send({ type: 'error', code: 'gone', topic, message: `events ${since + 1}–${first - 1} have expired; replaying from ${first}` });
    }
    try {
      const filter = kind === 'agent' ? this.bus.names.agentEventsFilter(id) : this.bus.names.jobEventsFilter(id);
      await replayEvents(this.bus, filter, since, (m) => this.deliver(sub, m));
    } finally {
      const buffered = sub.buffer ?? [];
      sub.buffer = null;
      buffered.forEach((m) => this.deliver(sub, m));
    }
  }

  unsubscribe(client: EventClient, topic: Topic): boolean {
    const { kind, id } = parseTopic(topic);
    const key = `${kind}:${id}`;
    const removed = this.byTopic.get(key)?.delete(client.id) ?? false;
    if (this.byTopic.get(key)?.size === 0) this.byTopic.delete(key);
    return removed;
  }

  drop(client: EventClient): void {
    for (const [key, subs] of this.byTopic) {
      subs.delete(client.id);
      if (subs.size === 0) this.byTopic.delete(key);
    }
  }

  private dispatch(m: JsMsg): void {
    this.liveSeq = m.seq;
    // <prefix>.events.agent.<agentId>.<jobId|_>.<type…>
    const t = m.subject.split('.');
    const agentSubs = this.byTopic.get(`agent:${t[3]}`);
    const jobSubs = t[4] !== '_' ? this.byTopic.get(`job:${t[4]}`) : undefined;
    for (const subs of [agentSubs, jobSubs]) {
      for (const sub of subs?.values() ?? []) {
        if (sub.buffer) sub.buffer.push(m);
        else this.deliver(sub, m);
      }
    }
  }

  private relayLive(m: Msg): void {
    // <prefix>.live.agent.<agentId>.<jobId|_>.<type…>
    const t = m.subject.split('.');
    const agentSubs = this.byTopic.get(`agent:${t[3]}`);
    const jobSubs = t[4] !== '_' ? this.byTopic.get(`job:${t[4]}`) : undefined;
    if (!agentSubs && !jobSubs) return;
    let event: EventEnvelope;
    try {
      event = m.json<EventEnvelope>();
    } catch {
      return;
    }
    for (const subs of [agentSubs, jobSubs]) for (const sub of subs?.values() ?? []) sub.client.send({ type: 'live', topic: sub.topic, event });
  }

  private deliver(sub: Subscription, m: JsMsg): void {
    if (m.seq <= sub.lastSent) return;
    sub.lastSent = m.seq;
    let event: EventEnvelope;
    try {
      event = m.json<EventEnvelope>();
    } catch {
      this.log.warn(`skipping unreadable event ${m.seq} on ${m.subject}`);
      return;
    }
    sub.client.send({ type: 'event', topic: sub.topic, seq: m.seq, event });
  }
}
