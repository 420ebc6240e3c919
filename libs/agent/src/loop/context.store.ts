import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ActivityContext } from '@wiz/contracts';
import { ActivityContextEntity, ActivityContextsRepository, JobEntity } from '@wiz/persistence';
import { LOST_RUN, PARKED, PARKED_INPUT } from '@wiz/queue';

export type ContextState = Omit<ActivityContext, 'jobId' | 'agentId' | 'createdAt' | 'updatedAt'>;

export interface LiveContext {
  entity: ActivityContextEntity;
  state: ContextState;
}

// ActivityContext rows: one per job, rewritten inside the transaction that emits the step's events.
@Injectable()
export class ContextStore {
  constructor(private readonly repo: ActivityContextsRepository) {}

  fresh(job: JobEntity): LiveContext {
    const now = new Date();
    const state: ContextState = {
      input: job.input,
      phase: 'plan',
      iteration: 0,
      plan: null,
      planNote: null,
      messages: [],
      toolCalls: [],
      validationResult: null,
      partialOutputs: [],
      errors: [],
      learnings: [],
      steps: 0,
      tokens: 0,
      runs: 0,
    };
    const entity = Object.assign(new ActivityContextEntity(), {
      jobId: job.id,
      ownerId: job.ownerId,
      agentId: job.agentId,
      state,
      createdAt: now,
      updatedAt: now,
    });
    return { entity, state };
  }

  // A run after a lost one (the runtime died) continues from the stored context, and so does one
  // woken from a park (its children ended, or an ask's deadline); a new attempt after a failed
  // one (retry policy, POST …/retry) starts over with fresh budgets.
  resume(job: JobEntity, ctx: LiveContext): void {
    const s = ctx.state;
    if (s.runs > 0) {
      const previous = job.attemptLog[job.attemptLog.length - 2];
      if (previous?.error === LOST_RUN) {
        s.errors.push(
          `run ${s.runs + 1}: continuing from the ${s.phase} phase (step ${s.steps}) after the runtime running it stopped`,
        );
      } else if (previous?.error !== PARKED && previous?.error !== PARKED_INPUT) {
        this.restart(ctx, job);
        ctx.state.errors.push(`run ${s.runs + 1}: starting over after attempt ${previous?.attempt ?? '?'} failed`);
      }
    }
    ctx.state.runs++;
  }

  /** A new attempt after a failed one starts over; the record of earlier runs stays. */
  restart(ctx: LiveContext, job: JobEntity): void {
    const { errors, runs } = ctx.state;
    ctx.state = { ...this.fresh(job).state, errors, runs };
  }

  async load(job: JobEntity): Promise<LiveContext> {
    // The first attempt of a job never ran before: nothing to read.
    if (job.attemptLog.length <= 1) return this.fresh(job);
    const entity = await this.repo.findByJob(job.ownerId, job.id);
    return entity ? { entity, state: entity.state } : this.fresh(job);
  }

  async save(ctx: LiveContext, m: EntityManager): Promise<void> {
    ctx.entity.updatedAt = new Date();
    ctx.entity.state = ctx.state;
    await this.repo.save(ctx.entity, m);
  }
}
