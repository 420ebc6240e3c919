import { Inject, Injectable } from '@nestjs/common';
import { rateLimited } from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { JobsRepository } from '@wiz/persistence';
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
