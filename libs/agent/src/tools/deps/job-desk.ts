import { Injectable } from '@nestjs/common';
import type { CreateJob, Job } from '@wiz/contracts';
import { JobEntity, JobsRepository } from '@wiz/persistence';
import { JobFlowService, JobsService, StateChangesService } from '@wiz/queue';

// The jobs a tool may touch: its job's children, new jobs (sub-jobs, messages), priorities.
@Injectable()
export class JobDesk {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly jobsService: JobsService,
    private readonly changes: StateChangesService,
    private readonly flow: JobFlowService,
  ) {}

  find(ownerId: string, id: string): Promise<JobEntity | null> {
    return this.jobs.findById(ownerId, id);
  }

  childrenOf(ownerId: string, id: string): Promise<JobEntity[]> {
    return this.jobs.childrenOf(ownerId, id);
  }

  submit(ownerId: string, body: CreateJob, traceId: string): Promise<Job> {
    return this.jobsService.submit(ownerId, body, traceId);
  }

  /** A compare-and-set on the job's revision: false if the job moved meanwhile. */
  setPriority(job: JobEntity, priority: number): Promise<boolean> {
    return this.changes.commit((m) => this.flow.move(job, { priority }, m), job.agentId);
  }
}
