import { Injectable } from '@nestjs/common';
import { JobUsage } from '@wiz/contracts';
import { JobsRepository, UsageRepository } from '@wiz/persistence';

const MAX_JOBS = 10_000;

// A job's usage: its own model calls and its delegated children's, to any depth.
@Injectable()
export class JobUsageService {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly usage: UsageRepository,
  ) {}

  async ofJob(ownerId: string, jobId: string): Promise<JobUsage> {
    const ids = [jobId];
    for (let i = 0; i < ids.length && ids.length < MAX_JOBS; i++) {
      for (const c of await this.jobs.childrenOf(ownerId, ids[i]!)) ids.push(c.id);
    }
    const t = await this.usage.ofJobs(ownerId, ids);
    return { calls: t.calls, inputTokens: t.inputTokens, outputTokens: t.outputTokens, costUsd: t.costNanoUsd / 1e9 };
  }
}
