import { Inject, Injectable } from '@nestjs/common';
import { isTerminal, JobResult, RunJobCommand } from '@wiz/contracts';
import { AgentEntity, AgentsRepository, JobEntity, JobsRepository } from '@wiz/persistence';
import { backoffDelay } from './backoff';
import { makeEvent } from './events';
import { JobFlow, jobIds } from './job-flow.service';
import { StateChanges } from './state-changes.service';

export const LOST_RUN = 'runtime stopped during this attempt (crash or kill); run again';

export type StartOutcome =
  | { run: true; job: JobEntity; agent: AgentEntity }
  /** Nothing to run (already finished, not runnable now, moved by someone else): ack. */
  | { run: false; reason: string }
  /** Not now: the agent is paused, or runs another job (`holder`). Keep the command. */
  | { run: false; hold: 'paused' | 'busy'; holder?: string | null };

export const MAX_LOST_RUNS = Symbol('MAX_LOST_RUNS');

// The runtime's side of the job lifecycle. Every transition is a compare-and-set on the job's
// revision, so a stale worker can never overwrite a newer state (late acks, redeliveries,
// a cancel that arrived while the model was answering).
@Injectable()
export class JobExecution {
  constructor(
    private readonly agents: AgentsRepository,
    private readonly jobs: JobsRepository,
    private readonly changes: StateChanges,
    private readonly flow: JobFlow,
    /** Runs a job may lose to dead runtimes before it fails (WIZ_JOB_MAX_DELIVER). */
    @Inject(MAX_LOST_RUNS) private readonly maxLostRuns: number,
  ) {}

  async start(cmd: RunJobCommand): Promise<StartOutcome> {
    const job = await this.jobs.findById(cmd.ownerId, cmd.jobId);
    if (!job) return { run: false, reason: 'unknown job' };
    if (isTerminal(job.status)) return { run: false, reason: `already ${job.status}` };
    // `active` here means a runtime died mid-job and JetStream redelivered it: run it again.
    if (job.status !== 'queued' && job.status !== 'active') return { run: false, reason: `job is ${job.status}` };
    // `active` in the store but delivered again: the runtime running it died. That run is lost.
    const lostBefore = job.attemptLog.filter((a) => a.error === LOST_RUN).length + (job.status === 'active' ? 1 : 0);
    if (job.status === 'active' && lostBefore >= this.maxLostRuns) {
      await this.changes.commit(async (m, emit) => {
        const reason = `runtime lost the job ${lostBefore} times mid-run (crash or kill); giving up`;
        if (await this.flow.failNow(job, reason, m, emit, { attemptLog: closeAttempt(job, LOST_RUN) })) {
          await this.agents.release(job.ownerId, job.agentId, job.id, m);
        }
      }, job.agentId);
      return { run: false, reason: 'too many lost runs' };
    }
    const now = new Date();
    const attempt = job.attempts + 1;
    // One transaction: lock and claim the agent, move the job to active.
    return this.changes.commit(async (m, emit): Promise<StartOutcome> => {
      const claim = await this.agents.claim(job.ownerId, job.agentId, job.id, m);
      if (claim.verdict === 'missing') {
        await this.flow.failNow(job, `agent ${job.agentId} was deleted before the job ran`, m, emit);
        return { run: false, reason: 'agent deleted' };
      }
      if (claim.verdict === 'paused') return { run: false, hold: 'paused' };
      if (claim.verdict === 'busy') return { run: false, hold: 'busy', holder: claim.holder };
      const previous = job.status === 'active' ? closeAttempt(job, LOST_RUN) : job.attemptLog;
      const attemptLog = [...previous, { attempt, startedAt: now.toISOString(), finishedAt: null, error: null }];
      if (!(await this.flow.move(job, { status: 'active', attempts: attempt, attemptLog, startedAt: now, progress: 0 }, m))) {
        // Someone moved the job first: give the agent back (the transaction may hold other work).
        await this.agents.release(job.ownerId, job.agentId, job.id, m);
        return { run: false, reason: 'moved by another worker' };
      }
      emit.event(makeEvent('job.active', jobIds(job), { attempt }));
      return { run: true, job, agent: claim.agent };
    }, job.agentId);
  }

  complete(job: JobEntity, result: JobResult): Promise<boolean> {
    return this.changes.commit(async (m, emit) => {
      const attemptLog = closeAttempt(job, null);
      if (!(await this.flow.move(job, { status: 'completed', result, progress: 100, attemptLog, finishedAt: new Date() }, m))) {
        return false;
      }
      await this.agents.release(job.ownerId, job.agentId, job.id, m);
      emit.event(makeEvent('job.completed', jobIds(job), { attempt: job.attempts, result }));
      await this.flow.settled(job, m, emit);
      return true;
    }, job.agentId);
  }

  /** A failed attempt: retried after its backoff while attempts remain, else the job fails. */
  fail(job: JobEntity, error: string, retryable = true): Promise<boolean> {
    return this.changes.commit(async (m, emit) => {
      const attemptLog = closeAttempt(job, error);
      if (retryable && job.attempts < job.maxAttempts) {
        const delayMs = backoffDelay(job.backoff, job.attempts);
        const runAt = new Date(Date.now() + delayMs);
        if (!(await this.flow.move(job, { status: 'waiting', failureReason: error, attemptLog, runAt }, m))) return false;
        await this.agents.release(job.ownerId, job.agentId, job.id, m);
        emit.event(makeEvent('job.retrying', jobIds(job), { attempt: job.attempts, error, delayMs, runAt: runAt.toISOString() }));
        return this.flow.release(job, m, emit);
      }
      if (!(await this.flow.move(job, { status: 'failed', failureReason: error, attemptLog, finishedAt: new Date() }, m))) return false;
      await this.agents.release(job.ownerId, job.agentId, job.id, m);
      emit.event(makeEvent('job.failed', jobIds(job), { attempt: job.attempts, reason: error }));
      await this.flow.settled(job, m, emit);
      return true;
    }, job.agentId);
  }

  /** Progress of a running job; not a transition (the revision stays), so it never fences the runner. */
  async progress(job: JobEntity, progress: number): Promise<void> {
    const pct = Math.max(0, Math.min(100, Math.round(progress)));
    await this.changes.commit(async (m, emit) => {
      if (await this.jobs.setProgress(job.ownerId, job.id, pct, m)) emit.event(makeEvent('job.progress', jobIds(job), { progress: pct }));
    }, job.agentId);
    job.progress = pct;
  }

}

function closeAttempt(job: JobEntity, error: string | null) {
  const log = [...job.attemptLog];
  const last = log[log.length - 1];
  if (last && last.finishedAt === null) log[log.length - 1] = { ...last, finishedAt: new Date().toISOString(), error };
  return log;
}
