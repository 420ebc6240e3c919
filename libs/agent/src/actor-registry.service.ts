import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Subscription } from 'nats';
import { CancelJobSignalSchema, MailboxCommand } from '@wiz/contracts';
import { BusService } from '@wiz/bus';
import { AgentActor } from './agent-actor';
import { JobRunner } from './job-runner.service';

const EVICT_IDLE_MS = 10 * 60_000;

interface Delivery {
  jobId: string;
  priority: number;
  command: MailboxCommand;
}

// Holds the live actors of this runtime: created on an agent's first mailbox message (so a new
// agent needs no restart), dropped after a while without work. An actor is a few hundred
// bytes, so one process holds tens of thousands. Also aborts running jobs on a cancel signal
// and wakes actors whose agent was resumed or freed (by any runtime).
@Injectable()
export class ActorRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Actors');
  private readonly actors = new Map<string, AgentActor<Delivery>>();
  private readonly running = new Map<string, AbortController>();
  private readonly subs: Subscription[] = [];
  private evictor?: NodeJS.Timeout;

  constructor(
    private readonly runner: JobRunner,
    private readonly bus: BusService,
  ) {}

  onModuleInit(): void {
    this.evictor = setInterval(() => this.evictIdle(), 60_000);
    this.evictor.unref();
    this.listen('cancel', (data) => {
      const signal = CancelJobSignalSchema.parse(data);
      this.running.get(signal.jobId)?.abort(new Error(signal.reason));
    });
    // An agent was resumed, or its job ended on some runtime: held commands re-check at once.
    this.listen('wake', (data) => this.actors.get(String((data as { agentId?: unknown }).agentId))?.wake());
  }

  onModuleDestroy(): void {
    clearInterval(this.evictor);
    this.subs.forEach((s) => s.unsubscribe());
  }

  deliver(command: MailboxCommand): Promise<void> {
    return this.actorOf(command.agentId).deliver({ jobId: command.jobId, priority: command.priority, command });
  }

  /** The agent's actor, created (idle) if this runtime has none yet. */
  actorOf(agentId: string): AgentActor<Delivery> {
    let actor = this.actors.get(agentId);
    if (!actor) {
      actor = new AgentActor<Delivery>(agentId, (d) => this.run(d));
      this.actors.set(agentId, actor);
    }
    return actor;
  }

  get size(): number {
    return this.actors.size;
  }

  evictIdle(now = Date.now()): void {
    for (const [id, actor] of this.actors) if (actor.idleFor(now) > EVICT_IDLE_MS) this.actors.delete(id);
  }

  private async run(d: Delivery) {
    const abort = new AbortController();
    this.running.set(d.jobId, abort);
    try {
      const outcome = await this.runner.run(d.command, abort.signal);
      if (outcome === 'done') this.bus.nc.publish(this.bus.names.control('wake'), JSON.stringify({ agentId: d.command.agentId }));
      return outcome;
    } finally {
      this.running.delete(d.jobId);
    }
  }

  private listen(kind: string, handle: (data: unknown) => void): void {
    const sub = this.bus.nc.subscribe(this.bus.names.control(kind), {
      callback: (err, msg) => {
        if (err) return;
        try {
          handle(msg.json());
        } catch (e) {
          this.log.warn(`ignoring malformed ${kind} signal: ${String(e)}`);
        }
      },
    });
    this.subs.push(sub);
  }
}
