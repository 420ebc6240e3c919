import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventEnvelope, isTerminal, JobStatus, RunJobCommand } from '@wiz/contracts';
import { BusService } from '@wiz/bus';
import { AgentsRepository, Claim, JobEntity, JobsRepository, sideBySide } from '@wiz/persistence';
import { makeEvent } from './events';
import { recordBefore } from './journal';
import { SettleHook, SettleHooks } from './settle-hooks';
import { Emit } from './state-changes.service';

/**
 * How a run that parked on its child jobs (delegation) closes its attempt-log entry.
 * A parked job is in `waiting-children` with this as its last entry's error; its loop resumes
 * from its ActivityContext when it runs again.
 */
export const PARKED = 'parked: waiting for child jobs';
/** The same for a job parked in `waiting-input` (approvals, questions, signals). */
export const PARKED_INPUT = 'parked: waiting for input';
export const isParked = (job: JobEntity) => {
  const last = job.attemptLog[job.attemptLog.length - 1]?.error;
  return last === PARKED || last === PARKED_INPUT;
};

export const jobIds = (job: JobEntity) => ({
  agentId: job.agentId,
  jobId: job.id,
  conversationId: job.conversationId,
  traceId: job.traceId,
});

// The rules every transition shares, run inside the caller's transaction (StateChangesService.commit).
// Each change is a compare-and-set on the job's revision; the entity passed in is updated.
@Injectable()
export class JobFlowService {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly agents: AgentsRepository,
    private readonly bus: BusService,
    // Optional so that hand-wired stacks (tests, bench) need none.
    private readonly hooks: SettleHooks = new SettleHooks(),
  ) {}

  /** See SettleHooks: run in the transaction of every terminal transition. */
  onSettled(hook: SettleHook): void {
    this.hooks.register(hook);
  }

  async move(job: JobEntity, patch: Partial<JobEntity>, m: EntityManager): Promise<boolean> {
    const changed = stamped(patch);
    if (!(await this.jobs.transition(job.ownerId, job.id, job.revision, changed, m))) return false;
    moved(job, changed, m);
    return true;
  }

  /**
   * A queued job's `move` to `patch` (active) with its agent's claim: a free agent's claim and the
   * move in one statement on Postgres (JobsRepository.claimAndMove); otherwise the locked claim
   * (AgentsRepository.claim), and the move if it took the agent. If the job did not move, a claim
   * that took the agent still holds it.
   */
  async claimAndMove(
    job: JobEntity,
    patch: Partial<JobEntity>,
    m: EntityManager,
  ): Promise<{ claim: Claim; moved: boolean }> {
    const changed = stamped(patch);
    const free = await this.jobs.claimAndMove(job, changed, m);
    if (!free) {
      const claim = await this.agents.claim(job.ownerId, job.agentId, job.id, m);
      return { claim, moved: claim.verdict === 'claimed' && (await this.move(job, patch, m)) };
    }
    if (free.moved) moved(job, changed, m);
    const turnedBusy = free.agent.status === 'busy';
    return { claim: { verdict: 'claimed', agent: free.agent, previous: null, turnedBusy }, moved: free.moved };
  }

  /**
   * A running job's terminal `move` to `patch`, then `event`, its agent freed and the jobs waiting
   * for it settled: with its end, one statement on Postgres (JobsRepository.finish), sent side by
   * side with `before` (the runner's own writes, in the same transaction). False, with nothing
   * but `before` written, when someone moved the job first.
   */
  async finish(
    job: JobEntity,
    patch: Partial<JobEntity>,
    event: () => EventEnvelope,
    m: EntityManager,
    emit: Emit,
    before?: (m: EntityManager, emit: Emit) => Promise<void>,
  ): Promise<boolean> {
    const changed = stamped(patch);
    const [, end] = await sideBySide(before ? before(m, emit) : Promise.resolve(), this.jobs.finish(job, changed, m));
    if (!end.moved) return false;
    moved(job, changed, m);
    emit.event(event());
    if (end.agentStatus === 'active') emit.event(agentFreed(job));
    await this.settled(job, m, emit, end.dependents);
    return true;
  }

  /** A job that may run: `delayed` while its runAt is ahead, else `queued` with a mailbox command. */
  async release(job: JobEntity, m: EntityManager, emit: Emit, now = new Date()): Promise<boolean> {
    const from = job.status;
    const status: JobStatus = job.runAt && job.runAt.getTime() > now.getTime() ? 'delayed' : 'queued';
    if (status === from) return true;
    if (!(await this.move(job, { status }, m))) return false;
    if (status === 'queued') {
      emit.event(makeEvent('job.queued', jobIds(job), { from }));
      this.enqueue(job, emit);
    }
    return true;
  }

  /**
   * The mailbox command. Its id is unique per enqueue (`run:<job>:<revision>`), so a replayed
   * outbox row is stored once; a resend of a job whose command was lost gives its own `cause`.
   */
  enqueue(job: JobEntity, emit: Emit, cause = 'run', backlog = false): void {
    const command = backlog ? { ...this.commandOf(job), backlog } : this.commandOf(job);
    emit.command(
      this.bus.names.mailboxSubject(job.partition, job.agentId),
      command,
      `${cause}:${job.id}:${job.revision}`,
    );
  }

  commandOf(job: JobEntity): RunJobCommand {
    return {
      kind: 'job.run',
      jobId: job.id,
      agentId: job.agentId,
      ownerId: job.ownerId,
      traceId: job.traceId,
      priority: job.priority,
    };
  }

  /** Gives the job's agent back if the job holds it; a busy agent turning active is an event. */
  async freeAgent(job: JobEntity, m: EntityManager, emit: Emit): Promise<void> {
    if ((await this.agents.release(job.ownerId, job.agentId, job.id, m)) === 'active') emit.event(agentFreed(job));
  }

  /** Ends a job that is not running (never started, or waiting) as failed. */
  async failNow(
    job: JobEntity,
    reason: string,
    m: EntityManager,
    emit: Emit,
    extra: Partial<JobEntity> = {},
  ): Promise<boolean> {
    if (!(await this.move(job, { ...extra, status: 'failed', failureReason: reason, finishedAt: new Date() }, m)))
      return false;
    emit.event(makeEvent('job.failed', jobIds(job), { attempt: job.attempts, reason }));
    await this.settled(job, m, emit);
    return true;
  }

  /** Cancels a job and its unfinished children; an active one loses its agent at once. */
  async cancel(job: JobEntity, reason: string, m: EntityManager, emit: Emit): Promise<boolean> {
    const wasActive = job.status === 'active';
    if (!(await this.move(job, { status: 'cancelled', failureReason: reason, finishedAt: new Date() }, m)))
      return false;
    emit.event(makeEvent('job.cancelled', jobIds(job), { reason }));
    if (wasActive) await this.freeAgent(job, m, emit);
    for (const child of await this.jobs.childrenOf(job.ownerId, job.id, m)) {
      if (!isTerminal(child.status)) await this.cancel(child, `parent ${job.id} was cancelled`, m, emit);
    }
    await this.settled(job, m, emit);
    return true;
  }

  /**
   * After `done` reached a terminal state: unblock or fail its dependents (read here unless
   * given), resume its parent.
   * The dependent or parent row is locked before its other dependencies or children are read,
   * so two jobs ending at once cannot both conclude "the other is still running".
   */
  async settled(done: JobEntity, m: EntityManager, emit: Emit, dependents?: string[]): Promise<void> {
    // Registered features first (e.g. a conversation's reply), in this same transaction.
    await this.hooks.run(done, m, emit);
    for (const id of dependents ?? (await this.jobs.dependentIds(done.id, m))) {
      const dependent = await this.jobs.lockById(done.ownerId, id, m);
      if (dependent?.status !== 'waiting') continue;
      if (done.status !== 'completed' && !dependent.ignoreDependencyFailures) {
        await this.failNow(dependent, `dependency ${done.id} ${done.status}`, m, emit);
      } else if ((await this.jobs.findByIds(done.ownerId, dependent.dependsOn, m)).every((d) => isTerminal(d.status))) {
        await this.release(dependent, m, emit);
      }
    }
    if (!done.parentJobId) return;
    const parent = await this.jobs.lockById(done.ownerId, done.parentJobId, m);
    if (parent?.status !== 'waiting-children') return;
    const children = await this.jobs.childrenOf(done.ownerId, parent.id, m);
    if (!children.every((c) => isTerminal(c.status))) return;
    // A parked parent (it ran, then delegated) resumes now even if it set a wake-up time;
    // one that never started (BullMQ flow) still honours its own runAt.
    if (isParked(parent)) await this.wake(parent, m, emit);
    else await this.release(parent, m, emit);
  }

  /**
   * Delegation: a parked job back to `queued` with a new mailbox command, so its loop
   * resumes — when its children ended, or at its wake-up time (ask_agent's deadline).
   */
  async wake(job: JobEntity, m: EntityManager, emit: Emit): Promise<boolean> {
    const from = job.status;
    if (!(await this.move(job, { status: 'queued', runAt: null }, m))) return false;
    emit.event(makeEvent('job.queued', jobIds(job), { from }));
    this.enqueue(job, emit);
    return true;
  }
}

/** A move's patch with its time. */
const stamped = (patch: Partial<JobEntity>): Partial<JobEntity> => ({ ...patch, updatedAt: new Date() });

/** The job as the store now holds it after `changed` landed (undone if the transaction fails). */
function moved(job: JobEntity, changed: Partial<JobEntity>, m: EntityManager): void {
  recordBefore(m, job, [...(Object.keys(changed) as Array<keyof JobEntity>), 'revision']);
  Object.assign(job, changed, { revision: job.revision + 1 });
}

const agentFreed = (job: JobEntity) => makeEvent('agent.status', jobIds(job), { status: 'active', jobId: null });
