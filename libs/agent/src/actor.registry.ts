import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Subscription } from 'nats';
import { MailboxCommand } from '@wiz/contracts';
import { BusService } from '@wiz/bus';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { JobExecutionService, PeriodicWorker } from '@wiz/queue';
import { AgentActor, Settled } from './agent-actor';
import { AgentStateCache } from './agent-state.cache';
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
// the jobs running here. What the actors keep of their agents between jobs (AgentStateCache)
// lasts while this runtime leases the agents' partitions, and goes with an evicted actor or
// when the agent is changed or deleted.
@Injectable()
export class ActorRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('Actors');
  private readonly actors = new Map<string, AgentActor<Delivery>>();
  private readonly owners = new Map<string, string>();
  private readonly running = new Map<string, AbortController>();
  private readonly runEnded = new Set<() => void>();
  /** Jobs aborted because the shutdown grace ran out: queued again, not failed. */
  private readonly handingBack = new Set<string>();
  /** Shutting down: a command delivered now goes straight back (NAK) for another runtime. */
  private draining = false;
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
    private readonly kept: AgentStateCache,
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
      // The persona is read with each job's claim; what is kept goes too, to be read again.
      this.bus.subscribeAgentEvents('agent.updated', (agentId) => this.kept.drop(agentId)),
      this.bus.subscribeAgentEvents('agent.deleted', (agentId) => this.kept.drop(agentId)),
    );
  }

  /** This runtime now consumes `partition` (its lease was gained). */
  partitionGained(partition: number): void {
    this.kept.gained(partition);
  }

  /** This runtime lost `partition`: another may run its agents' jobs now, so nothing kept of them holds. */
  partitionLost(partition: number): void {
    this.kept.lost(partition);
  }

  // Runs first among the shutdown hooks: the job leases, the outbox and the store still work.
  async onModuleDestroy(): Promise<void> {
    await this.drain(this.config.WIZ_SHUTDOWN_GRACE_MS);
    await Promise.all([this.leases.stop(), this.evictor.stop()]);
    this.subs.forEach((s) => s.unsubscribe());
  }

  /**
   * Shutdown: stop pulling; hand every waiting command back at once (NAK, or a resent command for
   * jobs an actor had fetched from the store); let running jobs finish within `graceMs`, then
   * queue the rest again so another runtime takes them now.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    await this.bus.stopPulling();
    const backlog = [...this.actors].filter(([, actor]) => actor.stop()).map(([agentId]) => agentId);
    const now = new Date();
    await Promise.all(
      backlog.map((agentId) =>
        this.execution
          .resendBacklog(this.owners.get(agentId)!, agentId, now, `handback-${now.getTime()}`)
          .catch((e) => this.log.warn(`handing back the queued jobs of ${agentId} failed: ${String(e)}`)),
      ),
    );
    if (this.running.size) this.log.log(`letting ${this.running.size} running job(s) finish (up to ${graceMs} ms)`);
    await this.whenIdle(Date.now() + graceMs);
    if (!this.running.size) return;
    this.log.warn(`shutdown grace over: handing back ${this.running.size} running job(s)`);
    for (const [jobId, abort] of this.running) {
      this.handingBack.add(jobId);
      abort.abort(new Error('runtime shutting down'));
    }
    await this.whenIdle(Date.now() + 10_000);
  }

  private async whenIdle(deadline: number): Promise<void> {
    while (this.running.size && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.runEnded.add(() => (clearTimeout(t), resolve()));
      });
    }
  }

  deliver(command: MailboxCommand): Promise<Settled> {
    const { agentId, ownerId, jobId, priority, backlog } = command;
    if (this.draining) return Promise.resolve('handed-back');
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
      this.owners.set(agentId, ownerId);
    }
    return actor;
  }

  get size(): number {
    return this.actors.size;
  }

  evictIdle(now = Date.now()): void {
    for (const [id, actor] of this.actors) {
      if (actor.idleFor(now) <= EVICT_IDLE_MS) continue;
      this.actors.delete(id);
      this.owners.delete(id);
      this.kept.drop(id);
    }
  }

  private async run(d: Delivery) {
    const abort = new AbortController();
    this.running.set(d.jobId, abort);
    try {
      const outcome = await this.runner.run(d.command, abort.signal);
      if (this.handingBack.delete(d.jobId)) await this.execution.handBack(d.command.ownerId, d.jobId);
      if (outcome === 'done') this.bus.publishControl('wake', { agentId: d.command.agentId });
      return outcome;
    } finally {
      this.running.delete(d.jobId);
      this.runEnded.forEach((f) => f());
      this.runEnded.clear();
    }
  }

  private async renewLeases(): Promise<void> {
    if (this.running.size) await this.execution.renewLeases([...this.running.keys()]);
  }
}
