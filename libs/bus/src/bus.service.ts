import { ChildProcess } from 'node:child_process';
import { Logger, OnApplicationShutdown } from '@nestjs/common';
import {
  headers as natsHeaders,
  JetStreamClient,
  JetStreamManager,
  Msg,
  NatsConnection,
  PubAck,
  Subscription,
} from 'nats';
import { BusNames, CONTROL_MESSAGES, ControlKind, ControlMessage, parseEventSubject } from '@wiz/contracts';

const encoder = new TextEncoder();

// The process's one NATS connection, its JetStream handles and the name table.
export class BusService implements OnApplicationShutdown {
  readonly js: JetStreamClient;
  private readonly log = new Logger('Bus');
  private readonly pullers = new Set<() => Promise<void>>();

  constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    readonly names: BusNames,
    private readonly child?: ChildProcess,
  ) {
    this.js = nc.jetstream();
  }

  // Idempotent publish: JetStream drops a second message with the same id within its window.
  // `headers`: W3C trace context (traceparent, tracestate), carried in NATS headers, not the payload.
  publish(subject: string, payload: string, msgId: string, headers?: Record<string, string> | null): Promise<PubAck> {
    if (!headers) return this.js.publish(subject, encoder.encode(payload), { msgID: msgId });
    const h = natsHeaders();
    for (const [k, v] of Object.entries(headers)) h.set(k, v);
    return this.js.publish(subject, encoder.encode(payload), { msgID: msgId, headers: h });
  }

  /** Registers how a consumer of this process stops pulling (the mailbox transport). */
  onStopPulling(stop: () => Promise<void>): void {
    this.pullers.add(stop);
  }

  /** Shutdown, first step: every consumer of this process stops taking messages. */
  async stopPulling(): Promise<void> {
    await Promise.all([...this.pullers].map((stop) => stop()));
  }

  /** A control message to every runtime (core NATS, at most once), validated before it leaves. */
  publishControl<K extends ControlKind>(kind: K, payload: ControlMessage<K>): void {
    this.nc.publish(this.names.control(kind), JSON.stringify(CONTROL_MESSAGES[kind].parse(payload)));
  }

  /**
   * The agents (and jobs) named by events of one type as they are published (core NATS: no
   * replay, at most once), e.g. to forget what a runtime keeps of an agent that was changed.
   */
  subscribeAgentEvents(
    type: string,
    handle: (agentId: string, jobId: string | undefined, msg: Msg) => void,
  ): Subscription {
    return this.nc.subscribe(this.names.agentEventTypeFilter(type), {
      callback: (err, msg) => {
        const parsed = err ? null : parseEventSubject(msg.subject);
        if (parsed?.kind === 'agent' && parsed.agentId) handle(parsed.agentId, parsed.jobId, msg);
      },
    });
  }

  /** Control messages of one kind; a malformed one is logged and dropped, never handed on. */
  subscribeControl<K extends ControlKind>(kind: K, handle: (message: ControlMessage<K>) => void): Subscription {
    return this.nc.subscribe(this.names.control(kind), {
      callback: (err, msg) => {
        if (err) return;
        const parsed = CONTROL_MESSAGES[kind].safeParse(safeJson(msg.data));
        if (!parsed.success) {
          this.log.warn(`ignoring malformed ${kind} control message: ${parsed.error.message}`);
          return;
        }
        try {
          handle(parsed.data as ControlMessage<K>);
        } catch (e) {
          this.log.warn(`handling a ${kind} control message failed: ${String(e)}`);
        }
      },
    });
  }

  async health(): Promise<{ ok: boolean; detail: string }> {
    if (this.nc.isClosed()) return { ok: false, detail: 'closed' };
    try {
      const rtt = await withTimeout(this.nc.rtt(), 2_000);
      return { ok: true, detail: `connected to ${this.nc.getServer()} (rtt ${rtt.toFixed(1)} ms)` };
    } catch (e) {
      return { ok: false, detail: `not responding: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  /** Both streams answer their info (each needs its stream leader: an R1 stream whose node is down does not). */
  async streamsHealth(): Promise<{ ok: boolean; detail: string }> {
    const { mailbox, events } = this.names.streams;
    try {
      const infos = await withTimeout(
        Promise.all([this.jsm.streams.info(mailbox), this.jsm.streams.info(events)]),
        2_000,
      );
      const replicas = infos.map((i) => `${i.config.name} R${i.config.num_replicas}`).join(', ');
      return { ok: true, detail: replicas };
    } catch (e) {
      return { ok: false, detail: `streams unavailable: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
    if (this.child && this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data)) as unknown;
  } catch {
    return undefined;
  }
}

/** `p`, or a rejection after `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}
