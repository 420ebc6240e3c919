import { Inject, Injectable } from '@nestjs/common';
import { rateLimited } from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { JobEntity, JobsRepository } from '@wiz/persistence';
import type { EntityManager } from 'typeorm';

/** How long a refused client should wait: queues drain at the pace of model calls. */
export const QUEUE_FULL_RETRY_SEC = 30;

// The bound on jobs not started yet, per agent and per owner: a client, a schedule or an agent's
// tool that makes jobs faster than they run gets a clear refusal instead of an unbounded queue.
@Injectable()
export class QueueLimits {
  constructor(
    @Inject(WIZ_CONFIG)
    private readonly config: Pick<WizConfig, 'WIZ_MAX_QUEUED_PER_AGENT' | 'WIZ_MAX_QUEUED_PER_OWNER'>,
    private readonly jobs: JobsRepository,
  ) {}

  /** The bounds: jobs not started yet, per agent and per owner. */
  get caps(): { agent: number; owner: number } {
    return { agent: this.config.WIZ_MAX_QUEUED_PER_AGENT, owner: this.config.WIZ_MAX_QUEUED_PER_OWNER };
  }

  /**
   * Inserts `job` in `m` unless one more job would exceed a bound, checked in the insert's own
   * statement; refused, it throws as `check` does.
   */
  async insert(job: JobEntity, m: EntityManager): Promise<void> {
    const { agent, owner } = this.caps;
    for (let tries = 0; tries < 3; tries++) {
      if (await this.jobs.insertBounded(job, agent, owner, m)) return;
      await this.check(job.ownerId, job.agentId, m); // which bound: throws while one is reached
    }
    // Room at every count and none at every insert: jobs start and arrive as fast as it asks.
    throw rateLimited(`too many jobs waiting to start for agent ${job.agentId}; retry shortly`, QUEUE_FULL_RETRY_SEC);
  }

  /** Throws rate_limited (429 with Retry-After; a tool's error) when one more job would exceed a bound. */
  async check(ownerId: string, agentId: string, m?: EntityManager): Promise<void> {
    const perAgent = this.config.WIZ_MAX_QUEUED_PER_AGENT;
    const perOwner = this.config.WIZ_MAX_QUEUED_PER_OWNER;
    // One statement for both bounds: a submit's every statement is a turn of a busy event loop.
    const waiting = await this.jobs.waitingCounts(ownerId, agentId, perAgent, perOwner, m);
    if (waiting.agent >= perAgent)
      throw rateLimited(
        `agent ${agentId} already has ${perAgent} jobs waiting to start (WIZ_MAX_QUEUED_PER_AGENT); retry when some have run`,
        QUEUE_FULL_RETRY_SEC,
      );
    if (waiting.owner >= perOwner)
      throw rateLimited(
        `your agents already have ${perOwner} jobs waiting to start (WIZ_MAX_QUEUED_PER_OWNER); retry when some have run`,
        QUEUE_FULL_RETRY_SEC,
      );
  }
}
