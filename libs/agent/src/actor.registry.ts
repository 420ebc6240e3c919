import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Subscription } from 'nats';
import { MailboxCommand } from '@wiz/contracts';
import { BusService } from '@wiz/bus';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { JobExecutionService, PeriodicWorker } from '@wiz/queue';
import { AgentActor } from './agent-actor';
import { JobRunner } from './job.runner';

const EVICT_IDLE_MS = 10 * 60_000;

interface Delivery {
  jobId: string;
  priority: number;
  backlog?: boolean;
  command: MailboxCommand;
}

// Holds the live actors of this runtime: created on an agent's first mailbox message (so a new
// agent needs no restart), dropped after a while without work. An actor is a few hundred
// bytes, so one process holds tens of thousands. Also aborts running jobs on a cancel signal,
// wakes actors whose agent was resumed or freed (by any runtime), and renews the leases of
// the jobs running here.
@Injectable()
export class ActorRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Actors');
  private readonly actors = new Map<string, AgentActor<Delivery>>();
  private readonly running = new Map<string, AbortController>();
  private readonly subs: Subscription[] = [];
  private readonly leases: PeriodicWorker<void>;
  private readonly evictor = new PeriodicWorker(
    60_000,
    async () => this.evictIdle(),
    (e) => this.log.warn(`evicting idle actors failed: ${String(e)}`),
  );

  constructor(
    private readonly runner: JobRunner,
    private readonly execution: JobExecutionService,
    private readonly bus: BusService,
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
  ) {
    this.leases = new PeriodicWorker(
      Math.max(250, Math.floor(config.WIZ_JOB_ACK_WAIT_MS / 3)),
      () => this.renewLeases(),
      (e) => this.log.warn(`renewing job leases failed: ${String(e)}`),
    );
  }

  onModuleInit(): void {
    this.leases.start();
    this.evictor.start();
    this.subs.push(
      this.bus.subscribeControl('cancel', (s) => this.running.get(s.jobId)?.abort(new Error(s.reason))),
      // An agent was resumed, or its job ended on some runtime: held commands re-check at once.
      this.bus.subscribeControl('wake', (s) => this.actors.get(s.agentId)?.wake()),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.leases.stop(), this.evictor.stop()]);
    this.subs.forEach((s) => s.unsubscribe());
  }

  deliver(command: MailboxCommand): Promise<void> {
    const { agentId, ownerId, jobId, priority, backlog } = command;
    return this.actorOf(agentId, ownerId).deliver({ jobId, priority, backlog, command });
  }

  /** The agent's actor, created (idle) if this runtime has none yet. */
  actorOf(agentId: string, ownerId: string): AgentActor<Delivery> {
    let actor = this.actors.get(agentId);
    if (!actor) {
      actor = new AgentActor<Delivery>(agentId, (d) => this.run(d), {
        prefetch: this.config.WIZ_AGENT_PREFETCH,
        fetch: async (limit) =>
          (await this.execution.nextQueued(ownerId, agentId, limit)).map((c) => ({
            jobId: c.jobId,
            priority: c.priority,
            command: c,
          })),
      });
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
      if (outcome === 'done') this.bus.publishControl('wake', { agentId: d.command.agentId });
      return outcome;
    } finally {
      this.running.delete(d.jobId);
    }
  }

  private async renewLeases(): Promise<void> {
    if (this.running.size) await this.execution.renewLeases([...this.running.keys()]);
  }
}
