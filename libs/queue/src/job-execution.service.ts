import { Injectable } from '@nestjs/common';
import { isTerminal, JobResult, RunJobCommand } from '@wiz/contracts';
import { AgentsRepository, JobEntity, JobsRepository } from '@wiz/persistence';
import { makeEvent } from './events';
import { Emit, StateChanges } from './state-changes.service';

export type StartOutcome = { run: true; job: JobEntity } | { run: false; reason: string };

// The runtime's side of the job lifecycle. Every transition is a compare-and-set on the job's
// revision, so a stale worker can never overwrite a newer state (late acks, redeliveries).
@Injectable()
export class JobExecution {
  constructor(
    private readonly agents: AgentsRepository,
    private readonly jobs: JobsRepository,
    private readonly changes: StateChanges,
  ) {}

  async start(cmd: RunJobCommand): Promise<StartOutcome> {
    const job = await this.jobs.findById(cmd.ownerId, cmd.jobId);
    if (!job) return { run: false, reason: 'unknown job' };
    if (isTerminal(job.status)) return { run: false, reason: `already ${job.status}` };
    // `active` here means a runtime died mid-job and JetStream redelivered it: run it again.
    if (job.status !== 'queued' && job.status !== 'active') return { run: false, reason: `job is ${job.status}` };
    const now = new Date();
    const next = Object.assign(new JobEntity(), job, {
      status: 'active',
      attempts: job.attempts + 1,
      startedAt: now,
      updatedAt: now,
      revision: job.revision + 1,
    } satisfies Partial<JobEntity>);
    const landed = await this.changes.commit(async (m, emit) => {
      const { status, attempts, startedAt, updatedAt } = next;
      if (!(await this.jobs.transition(job.ownerId, job.id, job.revision, { status, attempts, startedAt, updatedAt }, m))) {
        return false;
      }
      await this.agents.markBusy(job.ownerId, job.agentId, true, m);
      emit.event(makeEvent('job.active', ids(job), { attempt: next.attempts }));
      return true;
    });
    return landed ? { run: true, job: next } : { run: false, reason: 'moved by another worker' };
  }

  complete(job: JobEntity, result: JobResult): Promise<boolean> {
    return this.finish(job, { status: 'completed', result, progress: 100 }, (emit) =>
      emit.event(makeEvent('job.completed', ids(job), { attempt: job.attempts, result })),
    );
  }

  fail(job: JobEntity, reason: string): Promise<boolean> {
    return this.finish(job, { status: 'failed', failureReason: reason }, (emit) =>
      emit.event(makeEvent('job.failed', ids(job), { attempt: job.attempts, reason })),
    );
  }

  /** Fails a job that cannot be run at all (e.g. delivered too many times), from whatever state it is in. */
  async abandon(cmd: RunJobCommand, reason: string): Promise<void> {
    const job = await this.jobs.findById(cmd.ownerId, cmd.jobId);
    if (job && !isTerminal(job.status)) await this.fail(job, reason);
  }

  private finish(
    job: JobEntity,
    patch: Partial<JobEntity>,
    events: (emit: Emit) => void,
  ): Promise<boolean> {
    const now = new Date();
    return this.changes.commit(async (m, emit) => {
      if (!(await this.jobs.transition(job.ownerId, job.id, job.revision, { ...patch, finishedAt: now, updatedAt: now }, m))) {
        return false;
      }
      await this.agents.markBusy(job.ownerId, job.agentId, false, m);
      events(emit);
      return true;
    });
  }
}

const ids = (job: JobEntity) => ({ agentId: job.agentId, jobId: job.id, traceId: job.traceId });
