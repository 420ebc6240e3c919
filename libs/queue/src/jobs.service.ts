import { Inject, Injectable, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  CancelJobSignal,
  CreateJob,
  isTerminal,
  Job,
  JobCounts,
  JobListQuery,
  notFound,
  PageOf,
  WizError,
} from '@wiz/contracts';
import { EntityManager } from 'typeorm';
import { BusService } from '@wiz/bus';
import { AgentEntity, AgentsRepository, JobEntity, JobsRepository } from '@wiz/persistence';
import { makeEvent } from './events';
import { JobFlowService, jobIds } from './job-flow.service';
import { toJob } from './job.mapper';
import { QueueLimits } from './queue-limits';
import { Emit, StateChangesService } from './state-changes.service';
import { activeTraceparent, traceIdOrNew } from '@wiz/telemetry';
import { BudgetsService } from './budgets/budgets.service';

const UNIQUE_VIOLATION = new Set(['23505', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
const isUniqueViolation = (e: unknown) =>
  UNIQUE_VIOLATION.has(
    (e as { code?: string; driverError?: { code?: string } }).driverError?.code ?? (e as { code?: string }).code ?? '',
  );

/** Agents whose partition (fixed at creation) a process keeps for its submits, at most. */
const KNOWN_AGENTS = 10_000;

/** A submit to a known agent whose insert found it no longer takes jobs, or a queue bound reached. */
class AgentUnchecked extends Error {}

// What clients do with jobs. `submit` is also the bus interface the benchmark drives. A new job
// from outside a running one (`submit`, `submitWithin`: REST, execute, tasks, conversation
// messages, schedules, tools that start separate jobs) is refused (429) while its owner's or
// agent's budget is spent; a delegated child (`createIn`) is stopped at its first model call.
@Injectable()
export class JobsService {
  constructor(
    private readonly agents: AgentsRepository,
    private readonly jobs: JobsRepository,
    private readonly changes: StateChangesService,
    private readonly flow: JobFlowService,
    @Inject(BusService) private readonly bus: BusService,
    private readonly budgets: BudgetsService,
    // Optional so that hand-built stacks (tests, benchmarks) run unbounded unless they pass one.
    @Optional() private readonly limits?: QueueLimits,
  ) {}

  /** `owner/agent` → the agent's partition, for the agents this process has seen take a job (see submit). */
  private readonly knownAgents = new Map<string, number>();

  /** `body` is validated by the caller (REST: CreateJobSchema); defaults are applied here. */
  async submit(ownerId: string, body: CreateJob, traceId: string = traceIdOrNew()): Promise<Job> {
    if (body.idempotencyKey) {
      const existing = await this.jobs.findByIdempotencyKey(ownerId, body.idempotencyKey);
      if (existing) return toJob(existing);
    }
    // An agent this process has seen take a job is not read again: whether it still takes jobs is
    // checked in the insert's statement (no round trip of its own). If it does not (deactivated,
    // deleted, a budget set since, or a queue bound reached), the submit starts over the long way,
    // which says why.
    const key = `${ownerId}/${body.agentId}`;
    const partition = this.knownAgents.get(key);
    if (partition !== undefined) {
      const job = this.newJob(ownerId, { id: body.agentId, partition }, body, traceId, null);
      try {
        return await this.commitSubmit(job, body, true);
      } catch (e) {
        if (!(e instanceof AgentUnchecked)) throw e;
        this.knownAgents.delete(key);
      }
    }
    const agent = await this.runnableAgent(ownerId, body.agentId);
    if (this.knownAgents.size >= KNOWN_AGENTS) this.knownAgents.delete(this.knownAgents.keys().next().value!);
    this.knownAgents.set(key, agent.partition);
    return this.commitSubmit(this.newJob(ownerId, agent, body, traceId, null), body, false);
  }

  /** `recheck`: the agent was not read; the insert checks it still takes jobs (AgentUnchecked if not). */
  private async commitSubmit(job: JobEntity, body: CreateJob, recheck: boolean): Promise<Job> {
    // A job with no dependencies and no parent touches no row but its own: the lane of new jobs.
    const alone = !job.dependsOn.length && !job.parentJobId;
    const insert = (m: EntityManager, emit: Emit) => this.insertNew(job, m, emit, recheck);
    try {
      await (alone ? this.changes.commitNew(insert, job.agentId) : this.changes.commit(insert, job.agentId));
    } catch (e) {
      // Two submissions with one key raced: the loser returns the winner's job.
      if (body.idempotencyKey && isUniqueViolation(e)) {
        const winner = await this.jobs.findByIdempotencyKey(job.ownerId, body.idempotencyKey);
        if (winner) return toJob(winner);
      }
      throw e;
    }
    return toJob(job);
  }

  /**
   * A job for `agent` created inside the caller's transaction (StateChangesService.commit), so that it
   * commits with what asked for it: a delegating job that parks in the same transaction, or a
   * conversation's message. `body` is validated by the caller; `id` may be
   * chosen up front so the caller can record it first. No idempotency-key race handling: a
   * unique violation fails the caller's transaction.
   */
  async createIn(
    agent: AgentEntity,
    body: CreateJob,
    traceId: string,
    m: EntityManager,
    emit: Emit,
    opts: { id?: string; conversationId?: string | null } = {},
  ): Promise<JobEntity> {
    const job = this.newJob(agent.ownerId, agent, body, traceId, opts.conversationId ?? null);
    if (opts.id) job.id = opts.id;
    await this.insertNew(job, m, emit);
    return job;
  }

  /** `createIn` for an agent named by id (it must exist and take jobs). */
  async submitWithin(
    m: EntityManager,
    emit: Emit,
    ownerId: string,
    body: CreateJob,
    link: { traceId?: string; conversationId?: string } = {},
  ): Promise<Job> {
    const agent = await this.runnableAgent(ownerId, body.agentId, m);
    return toJob(
      await this.createIn(agent, body, link.traceId ?? traceIdOrNew(), m, emit, {
        conversationId: link.conversationId,
      }),
    );
  }

  // The agent must exist and take jobs, and no budget of its may be spent. The agent and
  // whether any budget applies are read in one statement; the usage only when one does.
  private async runnableAgent(ownerId: string, agentId: string, m?: EntityManager): Promise<AgentEntity> {
    const found = await this.agents.findForSubmit(ownerId, agentId, m);
    if (!found) throw notFound('agent', agentId);
    const { agent } = found;
    if (agent.status === 'inactive') {
      throw new WizError('conflict', `agent ${agent.id} is inactive; set its status to "active" to give it jobs`);
    }
    if (found.budgeted) await this.budgets.assertCanSubmit(ownerId, agent.id);
    return agent;
  }

  // Every new job passes here (REST, schedules, tools, delegations, conversations).
  private async insertNew(job: JobEntity, m: EntityManager, emit: Emit, recheckAgent = false): Promise<void> {
    const deps = await this.checkDependencies(job, m);
    const parent = await this.checkParent(job, m);
    const blocking = deps.find((d) => isTerminal(d.status) && d.status !== 'completed');
    const ready = deps.every((d) => isTerminal(d.status)) && (!blocking || job.ignoreDependencyFailures);
    // Born in its first status: waiting on dependencies, delayed, or queued with its command.
    job.status = !ready ? 'waiting' : job.runAt && job.runAt.getTime() > Date.now() ? 'delayed' : 'queued';
    // Within the queue's bounds, checked in the insert's statement (one round trip).
    if (recheckAgent) {
      if (!(await this.jobs.insertChecked(job, { caps: this.limits?.caps, runnableAgent: true }, m))) {
        throw new AgentUnchecked();
      }
    } else if (this.limits) await this.limits.insert(job, m);
    else await this.jobs.insert(job, m);
    await this.jobs.addDependencies(job.id, job.dependsOn, m);
    emit.event(
      makeEvent('job.created', jobIds(job), {
        status: job.status,
        input: job.input,
        priority: job.priority,
        runAt: job.runAt?.toISOString() ?? null,
      }),
    );
    if (job.status === 'queued') this.flow.enqueue(job, emit);
    if (parent && ['queued', 'delayed', 'waiting'].includes(parent.status)) {
      // BullMQ flows: a parent that has not started runs after its children.
      await this.flow.move(parent, { status: 'waiting-children' }, m);
      emit.event(makeEvent('job.waiting-children', jobIds(parent), { children: 1 }));
    }
    if (blocking && !job.ignoreDependencyFailures) {
      await this.flow.failNow(job, `dependency ${blocking.id} ${blocking.status}`, m, emit);
    }
  }

  async get(ownerId: string, id: string): Promise<Job & { children: string[] }> {
    const job = await this.jobs.findById(ownerId, id);
    if (!job) throw notFound('job', id);
    const children = await this.jobs.childrenOf(ownerId, id);
    return { ...toJob(job), children: children.map((c) => c.id) };
  }

  async list(ownerId: string, q: JobListQuery): Promise<PageOf<Job>> {
    const [items, total] = await this.jobs.list(ownerId, q);
    return { items: items.map(toJob), total, limit: q.limit, offset: q.offset };
  }

  counts(ownerId: string, agentId?: string): Promise<JobCounts> {
    return this.jobs.counts(ownerId, agentId);
  }

  async cancel(ownerId: string, id: string, reason = 'cancelled by request'): Promise<Job> {
    for (;;) {
      const job = await this.jobs.findById(ownerId, id);
      if (!job) throw notFound('job', id);
      if (isTerminal(job.status)) throw new WizError('conflict', `job ${id} is already ${job.status}`);
      const wasActive = job.status === 'active';
      if (await this.changes.commit((m, emit) => this.flow.cancel(job, reason, m, emit), job.agentId)) {
        // Abort the model call wherever it runs (at most once; the revision fences the rest).
        if (wasActive) this.signal('cancel', { jobId: id, agentId: job.agentId, reason });
        return toJob(job);
      }
    }
  }

  async retry(ownerId: string, id: string): Promise<Job> {
    for (;;) {
      const job = await this.jobs.findById(ownerId, id);
      if (!job) throw notFound('job', id);
      if (job.status !== 'failed' && job.status !== 'cancelled') {
        throw new WizError('conflict', `only a failed or cancelled job can be retried; job ${id} is ${job.status}`);
      }
      // One more attempt, now, with the job's own retry policy for any further failure.
      const landed = await this.changes.commit(async (m, emit) => {
        if (
          !(await this.flow.move(
            job,
            { maxAttempts: job.attempts + 1, failureReason: null, finishedAt: null, runAt: null, status: 'waiting' },
            m,
          ))
        ) {
          return false;
        }
        return this.flow.release(job, m, emit);
      }, job.agentId);
      if (landed) return toJob(job);
    }
  }

  signal(kind: 'cancel', payload: CancelJobSignal): void {
    this.bus.publishControl(kind, payload);
  }

  private newJob(
    ownerId: string,
    agent: Pick<AgentEntity, 'id' | 'partition'>,
    body: CreateJob,
    traceId: string,
    conversationId: string | null,
  ): JobEntity {
    const now = new Date();
    const runAt = body.runAt ? new Date(body.runAt) : body.delay ? new Date(now.getTime() + body.delay) : null;
    return Object.assign(new JobEntity(), {
      id: randomUUID(),
      ownerId,
      agentId: agent.id,
      partition: agent.partition,
      status: 'waiting',
      input: body.input,
      data: body.data ?? null,
      parentJobId: body.parentJobId ?? null,
      dependsOn: [...new Set(body.dependsOn ?? [])],
      priority: body.priority ?? 0,
      attempts: 0,
      maxAttempts: body.attempts ?? 1,
      backoff: body.backoff ? { jitter: 0, ...body.backoff } : null,
      timeoutMs: body.timeoutMs ?? null,
      ignoreDependencyFailures: body.ignoreDependencyFailures ?? false,
      idempotencyKey: body.idempotencyKey ?? null,
      attemptLog: [],
      runAt,
      leaseUntil: null,
      progress: 0,
      result: null,
      failureReason: null,
      traceId,
      traceParent: activeTraceparent(),
      conversationId,
      revision: 0,
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      finishedAt: null,
    } satisfies JobEntity);
  }

  private async checkDependencies(job: JobEntity, m: EntityManager): Promise<JobEntity[]> {
    // Locked: a dependency that ends meanwhile waits for this job's link to be committed.
    const deps = await this.jobs.lockByIds(job.ownerId, job.dependsOn, m);
    const unknown = job.dependsOn.filter((id) => !deps.some((d) => d.id === id));
    if (unknown.length) throw new WizError('validation_failed', `unknown dependency: ${unknown.join(', ')}`);
    return deps;
  }

  // A job may not depend on its parent or any ancestor: they wait for it, so it would wait forever.
  private async checkParent(job: JobEntity, m: EntityManager): Promise<JobEntity | null> {
    if (!job.parentJobId) return null;
    const parent = await this.jobs.lockById(job.ownerId, job.parentJobId, m);
    if (!parent) throw new WizError('validation_failed', `unknown parent job ${job.parentJobId}`);
    if (isTerminal(parent.status))
      throw new WizError('conflict', `parent job ${parent.id} is already ${parent.status}`);
    const seen = new Set<string>();
    for (
      let a: JobEntity | null = parent;
      a && !seen.has(a.id);
      a = a.parentJobId ? await this.jobs.findById(job.ownerId, a.parentJobId, m) : null
    ) {
      seen.add(a.id);
      if (job.dependsOn.includes(a.id)) {
        throw new WizError(
          'validation_failed',
          `dependency cycle: job would depend on its ancestor ${a.id}, which waits for it`,
        );
      }
    }
    return parent;
  }
}
