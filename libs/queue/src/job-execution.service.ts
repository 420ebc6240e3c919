import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { isTerminal, JobResult, RunJobCommand } from '@wiz/contracts';
import {
  AgentEntity,
  AgentsRepository,
  isStoreUnavailable,
  JobEntity,
  JobsRepository,
  JobWaitsRepository,
} from '@wiz/persistence';
import { backoffDelay } from './backoff';
import { makeEvent } from './events';
import { isParked, JobFlowService, jobIds, PARKED, PARKED_INPUT } from './job-flow.service';
import { Emit, StateChangesService } from './state-changes.service';

export const LOST_RUN = 'runtime stopped during this attempt (crash or kill); run again';
export const HANDED_BACK = 'runtime shut down before this attempt finished; run again';

export type StartOutcome =
  /** `steered`: a person's steering message waited for the job when it was read. */
  | { run: true; job: JobEntity; agent: AgentEntity; steered: boolean }
  /** Nothing to run (already finished, not runnable now, moved by someone else): ack. */
  | { run: false; reason: string }
  /** Not now: the agent is paused, or runs another job (`holder`). Keep the command. */
  | { run: false; hold: 'paused' | 'busy'; holder?: string | null };

/** The runner's own writes in a completion's transaction: before the transition, and after it. */
export interface TxHooks {
  before?: (m: EntityManager, emit: Emit) => Promise<void>;
  /** The transaction that ran `before` committed (whatever became of the job's move). */
  committed?: () => void;
}

export interface RunPolicy {
  /** Runs a job may lose to dead runtimes before it fails (WIZ_JOB_MAX_DELIVER). */
  maxLostRuns: number;
  /** How long a running job's lease lasts unrenewed (WIZ_JOB_ACK_WAIT_MS). */
  leaseMs: number;
  /** How often the stalled-jobs sweep runs (WIZ_STALLED_SWEEP_MS; 5 s when unset). */
  sweepMs?: number;
}
export const RUN_POLICY = Symbol('RUN_POLICY');

// The runtime's side of the job lifecycle. Every transition is a compare-and-set on the job's
// revision, so a stale worker can never overwrite a newer state (late acks, redeliveries,
// a cancel that arrived while the model was answering). A running job holds a lease that its
// runtime renews; an `active` job whose lease lapsed lost its runtime and is recovered.
@Injectable()
export class JobExecutionService {
  constructor(
    private readonly agents: AgentsRepository,
    private readonly jobs: JobsRepository,
    private readonly changes: StateChangesService,
    private readonly flow: JobFlowService,
    private readonly waits: JobWaitsRepository,
    @Inject(RUN_POLICY) private readonly policy: RunPolicy,
  ) {}

  async start(cmd: RunJobCommand): Promise<StartOutcome> {
    const found = await this.jobs.findForRun(cmd.ownerId, cmd.jobId);
    if (!found) return { run: false, reason: 'unknown job' };
    const { job, steered } = found;
    if (isTerminal(job.status)) return { run: false, reason: `already ${job.status}` };
    if (job.status === 'active') {
      // A live runtime runs it (this command is a copy): wait until it ends.
      if (job.leaseUntil && job.leaseUntil.getTime() > Date.now()) return { run: false, hold: 'busy', holder: null };
      await this.recover(job);
      return { run: false, reason: 'recovered from a lost run' };
    }
    if (job.status !== 'queued') return { run: false, reason: `job is ${job.status}` };
    const now = new Date();
    const attempt = job.attempts + 1;
    const patch: Partial<JobEntity> = {
      status: 'active',
      attempts: attempt,
      attemptLog: [...job.attemptLog, { attempt, startedAt: now.toISOString(), finishedAt: null, error: null }],
      startedAt: now,
      leaseUntil: new Date(now.getTime() + this.policy.leaseMs),
      // A job resumed from a park (delegation) keeps the progress it had reported.
      progress: isParked(job) ? job.progress : 0,
    };
    // One transaction: claim the agent, move the job to active.
    return this.changes.commit(async (m, emit): Promise<StartOutcome> => {
      const { claim, moved } = await this.flow.claimAndMove(job, patch, m);
      if (claim.verdict === 'missing') {
        await this.flow.failNow(job, `agent ${job.agentId} was deleted before the job ran`, m, emit);
        return { run: false, reason: 'agent deleted' };
      }
      if (claim.verdict === 'paused') return { run: false, hold: 'paused' };
      if (claim.verdict === 'busy') return { run: false, hold: 'busy', holder: claim.holder };
      if (!moved) {
        // Someone moved the job first. Give the agent back if this claim took it (the
        // transaction may hold other work, so it is not rolled back); if the agent already
        // held this job, the runtime that moved it holds the agent: leave it.
        if (claim.previous !== job.id) await this.agents.release(job.ownerId, job.agentId, job.id, m);
        return { run: false, reason: 'moved by another worker' };
      }
      emit.event(makeEvent('job.active', jobIds(job), { attempt }));
      if (claim.turnedBusy) emit.event(makeEvent('agent.status', jobIds(job), { status: 'busy', jobId: job.id }));
      return { run: true, job, agent: claim.agent, steered };
    }, job.agentId);
  }

  /**
   * An `active` job whose runtime died (its lease lapsed): back to `queued` with a new mailbox
   * command, or `failed` once it has lost WIZ_JOB_MAX_DELIVER runs. Frees its agent.
   */
  recover(job: JobEntity): Promise<boolean> {
    return this.changes.commit(async (m, emit) => {
      const attemptLog = closeAttempt(job, LOST_RUN);
      const lost = attemptLog.filter((a) => a.error === LOST_RUN).length;
      const moved =
        lost >= this.policy.maxLostRuns
          ? await this.flow.failNow(
              job,
              `runtime lost the job ${lost} times mid-run (crash or kill); giving up`,
              m,
              emit,
              { attemptLog },
            )
          : await this.flow.move(job, { status: 'queued', attemptLog, leaseUntil: null }, m);
      if (!moved) return false;
      if (job.status === 'queued') {
        emit.event(makeEvent('job.queued', jobIds(job), { from: 'active' }));
        this.flow.enqueue(job, emit);
      }
      await this.flow.freeAgent(job, m, emit);
      return true;
    }, job.agentId);
  }

  /**
   * A job this runtime was running when its shutdown grace ran out: queued again at once (another
   * runtime takes it now, not after its lease lapses). Not counted as a lost run.
   */
  async handBack(ownerId: string, jobId: string): Promise<boolean> {
    const job = await this.jobs.findById(ownerId, jobId);
    if (!job || job.status !== 'active') return false;
    return this.changes.commit(async (m, emit) => {
      const attemptLog = closeAttempt(job, HANDED_BACK);
      if (!(await this.flow.move(job, { status: 'queued', attemptLog, leaseUntil: null }, m))) return false;
      emit.event(makeEvent('job.queued', jobIds(job), { from: 'active' }));
      this.flow.enqueue(job, emit, 'handback');
      await this.flow.freeAgent(job, m, emit);
      return true;
    }, job.agentId);
  }

  /**
   * Resends one command (marked `backlog`) for the agent's best queued job, so that the actor that
   * takes it fetches the rest from the store. Used when the commands were dropped by an actor
   * that died (the stalled-jobs sweep) or that is shutting down.
   */
  async resendBacklog(ownerId: string, agentId: string, now: Date, cause: string): Promise<boolean> {
    const [next] = await this.jobs.nextQueued(ownerId, agentId, 1);
    if (!next) return false;
    await this.changes.commit(async (m, emit) => {
      // Touched, so that the sweep does not wake this agent again before another lease period.
      await this.jobs.touch(ownerId, next.id, now, m);
      this.flow.enqueue(next, emit, cause, true);
    }, agentId);
    return true;
  }

  /** Extends the leases of running jobs (the runtime calls this for all of its own). */
  renewLeases(jobIds: string[]): Promise<void> {
    return this.jobs.renewLeases(jobIds, new Date(Date.now() + this.policy.leaseMs));
  }

  /** The agent's next queued jobs as mailbox commands, best first. */
  async nextQueued(ownerId: string, agentId: string, limit: number): Promise<RunJobCommand[]> {
    return (await this.jobs.nextQueued(ownerId, agentId, limit)).map((j) => this.flow.commandOf(j));
  }

  /**
   * `hooks.before`: the runner's own writes (the agent loop's last save), in the same transaction.
   * If the store refuses them (not a lost connection), the job fails saying so: thrown on, the
   * error would leave the job active until its lease lapsed and count as a lost runtime.
   */
  async complete(job: JobEntity, result: JobResult, hooks: TxHooks = {}): Promise<boolean> {
    try {
      return await this.completeNow(job, result, hooks);
    } catch (e) {
      if (isStoreUnavailable(e)) throw e;
      return this.fail(job, storeRefused('result', e), false);
    }
  }

  private async completeNow(job: JobEntity, result: JobResult, hooks: TxHooks): Promise<boolean> {
    const moved = await this.changes.commit(
      (m, emit) =>
        this.flow.finish(
          job,
          { status: 'completed', result, progress: 100, attemptLog: closeAttempt(job, null), finishedAt: new Date() },
          () => makeEvent('job.completed', jobIds(job), { attempt: job.attempts, result }),
          m,
          emit,
          hooks.before,
        ),
      job.agentId,
    );
    hooks.committed?.();
    return moved;
  }

  /** A failed attempt: retried after its backoff while attempts remain, else the job fails. */
  async fail(job: JobEntity, error: string, retryable = true, hooks: TxHooks = {}): Promise<boolean> {
    try {
      return await this.failNow(job, error, retryable, hooks);
    } catch (e) {
      if (isStoreUnavailable(e) || !hooks.before) throw e;
      return this.failNow(job, `${error}; ${storeRefused('context', e)}`, retryable, {});
    }
  }

  private async failNow(job: JobEntity, error: string, retryable: boolean, hooks: TxHooks): Promise<boolean> {
    const moved = await this.changes.commit(async (m, emit) => {
      const attemptLog = closeAttempt(job, error);
      if (!(retryable && job.attempts < job.maxAttempts)) {
        return this.flow.finish(
          job,
          { status: 'failed', failureReason: error, attemptLog, finishedAt: new Date() },
          () => makeEvent('job.failed', jobIds(job), { attempt: job.attempts, reason: error }),
          m,
          emit,
          hooks.before,
        );
      }
      // Retried after its backoff.
      await hooks.before?.(m, emit);
      const delayMs = backoffDelay(job.backoff, job.attempts);
      const runAt = new Date(Date.now() + delayMs);
      if (!(await this.flow.move(job, { status: 'waiting', failureReason: error, attemptLog, runAt }, m))) return false;
      emit.event(
        makeEvent('job.retrying', jobIds(job), { attempt: job.attempts, error, delayMs, runAt: runAt.toISOString() }),
      );
      await this.flow.freeAgent(job, m, emit);
      return this.flow.release(job, m, emit);
    }, job.agentId);
    hooks.committed?.();
    return moved;
  }

  /**
   * Delegation: the running job waits for its child jobs. In one transaction: `before`
   * (the caller's writes: its context, the children it creates), then active → `waiting-children`,
   * its agent freed (docs/architecture.md, invariant 3) and its lease cleared. The run's attempt is handed
   * back (a park is not a failed attempt); `wakeAt` wakes it even if children still run
   * (ask_agent's deadline). If every child has already ended, it is queued again at once.
   * Returns false, with nothing written, when the job was moved meanwhile (cancelled…).
   */
  park(
    job: JobEntity,
    wakeAt: Date | null,
    before: (m: EntityManager, emit: Emit) => Promise<void>,
    on: 'children' | 'input' = 'children',
  ): Promise<boolean> {
    return this.changes
      .commit(async (m, emit) => {
        await before(m, emit);
        const attemptLog = closeAttempt(job, on === 'input' ? PARKED_INPUT : PARKED);
        const patch = {
          status: on === 'input' ? ('waiting-input' as const) : ('waiting-children' as const),
          attempts: job.attempts - 1,
          attemptLog,
          leaseUntil: null,
          runAt: wakeAt,
        };
        // Throwing rolls back `before` too: no orphan children for a job that is not waiting.
        if (!(await this.flow.move(job, patch, m))) throw new ParkFenced();
        if (on === 'input') {
          // Waiting for people or a signal (`before` wrote the waits and their events). A wait
          // resolved while the job was still active found no parked job to wake: wake it here.
          await this.flow.freeAgent(job, m, emit);
          if ((await this.waits.countPending(job.ownerId, job.id, m)) === 0) await this.flow.wake(job, m, emit);
          return true;
        }
        const children = await this.jobs.childrenOf(job.ownerId, job.id, m);
        emit.event(
          makeEvent('job.waiting-children', jobIds(job), {
            children: children.filter((c) => !isTerminal(c.status)).length,
          }),
        );
        await this.flow.freeAgent(job, m, emit);
        if (children.every((c) => isTerminal(c.status))) await this.flow.wake(job, m, emit);
        return true;
      }, job.agentId)
      .catch((e) => {
        if (e instanceof ParkFenced) return false;
        throw e;
      });
  }

  /** Progress of a running job; not a transition (the revision stays), so it never fences the runner. */
  async progress(job: JobEntity, progress: number): Promise<void> {
    const pct = Math.max(0, Math.min(100, Math.round(progress)));
    await this.changes.commit(async (m, emit) => {
      if (await this.jobs.setProgress(job.ownerId, job.id, pct, m))
        emit.event(makeEvent('job.progress', jobIds(job), { progress: pct }));
    }, job.agentId);
    job.progress = pct;
  }
}

class ParkFenced extends Error {}

function closeAttempt(job: JobEntity, error: string | null) {
  const log = [...job.attemptLog];
  const last = log[log.length - 1];
  if (last && last.finishedAt === null) log[log.length - 1] = { ...last, finishedAt: new Date().toISOString(), error };
  return log;
}

function storeRefused(what: string, e: unknown): string {
  const err = e as { driverError?: { message?: string }; message?: string };
  return `the store refused the job's ${what}: ${(err?.driverError?.message ?? err?.message ?? String(e)).slice(0, 300)}`;
}
