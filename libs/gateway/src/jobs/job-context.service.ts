import { Injectable } from '@nestjs/common';
import { ActivityContext, notFound } from '@wiz/contracts';
import { ActivityContextsRepository } from '@wiz/persistence';

// The ActivityContext of a job, as the agent loop stored it (owner-scoped).
@Injectable()
export class JobContextService {
  constructor(private readonly contexts: ActivityContextsRepository) {}

  async get(ownerId: string, jobId: string): Promise<ActivityContext> {
    const row = await this.contexts.findByJob(ownerId, jobId);
    if (!row) throw notFound('context of job', jobId);
    return {
      jobId: row.jobId,
      agentId: row.agentId,
      ...row.state,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }
}
