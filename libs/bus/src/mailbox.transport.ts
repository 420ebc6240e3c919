import { carryContext, contextFrom } from '@wiz/telemetry';
import { Logger } from '@nestjs/common';
import { BaseRpcContext, CustomTransportStrategy, MessageHandler, Server } from '@nestjs/microservices';
import { ConsumerEvents, ConsumerMessages, JsMsg } from 'nats';
import { lastValueFrom } from 'rxjs';
import { MailboxCommand, MailboxCommandSchema } from '@wiz/contracts';
import { BusService, withTimeout } from './bus.service';
import { LoopAdmission } from './loop-admission';

export const MAILBOX_PATTERN = 'wiz.mailbox';
/** What a mailbox handler returns for a command it is done with: acked. */
export const HANDLED = 'handled';
/** What a mailbox handler returns for a command it gives back unrun (shutdown): NAKed, redelivered at once. */
export const HANDED_BACK = 'handed-back';

// What a mailbox handler learns about the delivery besides the command itself.
export class MailboxContext extends BaseRpcContext<[JsMsg]> {
  get subject(): string {
    return this.args[0].subject;
  }
}

/** Decides which partitions this process consumes (PartitionLeases); without one, all of them. */
export interface MailboxPlacement {
  start(): void;
  /** Stops consuming and gives the partitions back. */
  stop(): Promise<void>;
}

export interface MailboxTransportOptions {
  partitions: number[];
  placement?: MailboxPlacement;
  ackWaitMs: number;
  /** On shutdown, how long running jobs may take to finish before they are handed back. */
  shutdownGraceMs: number;
  /** A new job waits in the mailbox while the event loop runs later than this (ms); 0: never. */
  admitMaxLagMs?: number;
}

// Our own thin JetStream transport (Nest's NATS transport is core NATS, at most once).
// One pull consumer per mailbox partition; each message goes to the `@MessagePattern(MAILBOX_PATTERN)`
// handler and is acked only when the handler answers HANDLED; a failure (the handler rejects) is
// NAKed with a delay, so a crash or a store outage mid-job means redelivery, never a lost command.
// Messages held here (running or queued behind their agent's current job) get `working()`
// heartbeats so that JetStream does not redeliver them while this process is alive.
export class MailboxTransport extends Server implements CustomTransportStrategy {
  private readonly log = new Logger('Mailbox');
  private readonly inflight = new Set<JsMsg>();
  private readonly settled = new Set<() => void>();
  private readonly loops = new Map<number, ConsumerMessages>();
  /** Partitions to consume, each with the generation of its pull loop (a regained lease starts a new one). */
  private readonly wanted = new Map<number, number>();
  private generation = 0;
  private heartbeat?: NodeJS.Timeout;
  private stopping = false;
  private readonly admission: LoopAdmission;

  constructor(
    private readonly bus: BusService,
    private readonly opts: MailboxTransportOptions,
  ) {
    super();
    this.admission = new LoopAdmission({ maxLagMs: opts.admitMaxLagMs ?? 0 });
  }

  listen(callback: () => void): void {
    this.bus.onStopPulling(() => this.stopPulling());
    if (this.opts.placement) this.opts.placement.start();
    else for (const p of this.opts.partitions) this.startPartition(p);
    const every = Math.max(250, Math.floor(this.opts.ackWaitMs / 3));
    this.heartbeat = setInterval(() => this.inflight.forEach((m) => m.working()), every);
    callback();
  }

  // Stop pulling, let running jobs finish within the grace period, then hand the rest back
  // (NAK: redelivered at once to another runtime, instead of after the ack wait).
  async close(): Promise<void> {
    await this.stopPulling();
    const deadline = Date.now() + this.opts.shutdownGraceMs;
    while (this.inflight.size && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(0, deadline - Date.now()));
        this.settled.add(() => (clearTimeout(t), r()));
      });
    }
    clearInterval(this.heartbeat);
    if (this.inflight.size) this.log.warn(`handing back ${this.inflight.size} unfinished job(s) for redelivery`);
    for (const m of this.inflight) m.nak();
    this.inflight.clear();
  }

  /** Commands held until the event loop is on time (WIZ_ADMIT_MAX_LAG_MS). */
  get awaitingAdmission(): number {
    return this.admission.queued;
  }

  /**
   * No new messages: the partitions' pull loops end. Messages already running stay in flight;
   * those still waiting to be let in go back.
   */
  async stopPulling(): Promise<void> {
    this.stopping = true;
    await this.opts.placement?.stop();
    const partitions = [...this.loops.keys()];
    await Promise.all([...this.loops.values()].map((it) => it.close().catch(() => undefined)));
    this.loops.clear();
    // The server has seen the pull subscriptions go before anything is handed back.
    await this.bus.nc.flush().catch(() => undefined);
    await this.dropLeftPulls(partitions);
    // Commands not yet let in go back at once (dispatch NAKs them), to another runtime: a NAK
    // before the pulls ended could come back here and be dropped in transit (then ack wait).
    this.admission.releaseAll();
  }

  // A closed consumer's last pull request stays at the server until it expires (30 s), and NATS 2.9
  // gave it the first command handed back on that consumer, where no one reads it: that command
  // ran after the ack wait (one per partition held, in each of 30 trials of a script). Asking for
  // the consumer's info makes the server drop the requests no one listens to any more (none of 320
  // commands in 20 trials was late with it). At most a second: a shutdown while NATS is away does
  // not wait on it.
  private async dropLeftPulls(partitions: number[]): Promise<void> {
    const { names, jsm } = this.bus;
    const infos = partitions.map((p) => jsm.consumers.info(names.streams.mailbox, names.mailboxConsumer(p)));
    await withTimeout(Promise.allSettled(infos), 1_000).catch(() => undefined);
  }

  /** Consume this partition (its lease was gained). */
  startPartition(partition: number): void {
    if (this.stopping || this.wanted.has(partition)) return;
    const gen = ++this.generation;
    this.wanted.set(partition, gen);
    void this.runPartition(partition, gen);
  }

  /** Stop consuming this partition (its lease was lost); its messages in flight here finish. */
  async stopPartition(partition: number): Promise<void> {
    this.wanted.delete(partition);
    const loop = this.loops.get(partition);
    this.loops.delete(partition);
    await loop?.close().catch(() => undefined);
  }

  on(): never {
    throw new Error('MailboxTransport has no events to subscribe to');
  }

  unwrap<T>(): T {
    return this.bus.nc as T;
  }

  private async runPartition(partition: number, gen: number): Promise<void> {
    const { names } = this.bus;
    const live = () => !this.stopping && this.wanted.get(partition) === gen;
    while (live()) {
      try {
        const consumer = await this.bus.js.consumers.get(names.streams.mailbox, names.mailboxConsumer(partition));
        const messages = await consumer.consume({ max_messages: 256, idle_heartbeat: 5_000, expires: 30_000 });
        if (!live()) {
          await messages.close().catch(() => undefined);
          break;
        }
        this.loops.set(partition, messages);
        void this.watch(partition, messages);
        for await (const m of messages) {
          // Pulled after the lease moved on (or at shutdown): back at once for the new holder.
          if (live()) void this.dispatch(m, live);
          else m.nak();
        }
      } catch (e) {
        if (live()) this.log.warn(`partition ${partition} consumer stopped: ${String(e)}; restarting`);
      }
      if (live()) await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  // A pull consumer can stall after reconnects (a known nats.js 2.x behaviour): recreate it when heartbeats go missing.
  private async watch(partition: number, messages: ConsumerMessages): Promise<void> {
    for await (const s of await messages.status()) {
      if (s.type === ConsumerEvents.HeartbeatsMissed && Number(s.data) >= 3) {
        this.log.warn(`partition ${partition}: ${String(s.data)} heartbeats missed, recreating the consumer`);
        messages.stop();
        return;
      }
    }
  }

  private async dispatch(m: JsMsg, live: () => boolean): Promise<void> {
    let command: MailboxCommand;
    try {
      command = MailboxCommandSchema.parse(m.json());
    } catch (e) {
      this.log.error(`dropping malformed mailbox message on ${m.subject}: ${String(e)}`);
      m.term('malformed mailbox command');
      return;
    }
    // The trace context travels in the message's headers; it rides with the command to the runner.
    const traceparent = m.headers?.get('traceparent');
    if (traceparent)
      carryContext(command, contextFrom({ traceparent, tracestate: m.headers?.get('tracestate') ?? '' }));
    const handler = this.getHandlerByPattern(MAILBOX_PATTERN);
    if (!handler) {
      m.nak(1_000);
      return;
    }
    this.inflight.add(m);
    const admitted = this.admission.admit();
    try {
      if (admitted) {
        await admitted;
        // Shutdown, or the partition moved on while it waited: back at once for another runtime.
        if (!live()) {
          m.nak();
          return;
        }
      }
      await this.handle(m, handler, command);
    } finally {
      this.admission.settled();
      this.inflight.delete(m);
      this.settled.forEach((f) => f());
      this.settled.clear();
    }
  }

  private async handle(m: JsMsg, handler: MessageHandler, command: MailboxCommand): Promise<void> {
    try {
      const settled: unknown = await lastValueFrom(
        this.transformToObservable(await handler(command, new MailboxContext([m]))),
        { defaultValue: undefined },
      );
      if (settled === HANDLED) m.ack();
      else if (settled === HANDED_BACK) m.nak();
      else {
        // Only a handler that settled acks: anything else (an exception filter's answer, say) is a failure.
        this.log.warn(
          `job command on ${m.subject} will be redelivered in 1 s: the handler answered ${String(settled)}`,
        );
        m.nak(1_000);
      }
    } catch (e) {
      if (this.stopping) {
        // Handed back at shutdown: another runtime takes it now.
        m.nak();
        return;
      }
      // The store or bus failed mid-way: run the command again shortly (the revision fences it).
      this.log.warn(`job command on ${m.subject} will be redelivered in 1 s: ${String(e)}`);
      m.nak(1_000);
    }
  }
}
