import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ActivityContext,
  CreateJob,
  CreateJobSchema,
  Job,
  JobCounts,
  JobCountsQuerySchema,
  JobListQuery,
  JobListQuerySchema,
  PageOf,
} from '@wiz/contracts';
import { IdPipe, Owner, ZodPipe } from '@wiz/platform';
import { JobsService } from '@wiz/queue';
import { JobUsageService } from '../usage/usage.service';
import { JobContextService } from './job-context.service';

const JobId = new IdPipe('job');

@Controller('api/v1/jobs')
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly contexts: JobContextService,
    private readonly usage: JobUsageService,
  ) {}

  @Post()
  @HttpCode(202)
  submit(@Owner() owner: string, @Body(new ZodPipe(CreateJobSchema)) body: CreateJob): Promise<Job> {
    return this.jobs.submit(owner, body);
  }

  @Get()
  list(@Owner() owner: string, @Query(new ZodPipe(JobListQuerySchema, 'query')) q: JobListQuery): Promise<PageOf<Job>> {
    return this.jobs.list(owner, q);
  }

  @Get('counts')
  counts(
    @Owner() owner: string,
    @Query(new ZodPipe(JobCountsQuerySchema, 'query')) q: { agentId?: string },
  ): Promise<JobCounts> {
    return this.jobs.counts(owner, q.agentId);
  }

  @Get(':id')
  async get(@Owner() owner: string, @Param('id', JobId) id: string): Promise<Job> {
    const job = await this.jobs.get(owner, id);
    return { ...job, usage: await this.usage.ofJob(owner, job.id) };
  }

  @Get(':id/context')
  context(@Owner() owner: string, @Param('id', JobId) id: string): Promise<ActivityContext> {
    return this.contexts.get(owner, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@Owner() owner: string, @Param('id', JobId) id: string): Promise<Job> {
    return this.jobs.cancel(owner, id);
  }

  @Post(':id/retry')
  @HttpCode(200)
  retry(@Owner() owner: string, @Param('id', JobId) id: string): Promise<Job> {
    return this.jobs.retry(owner, id);
  }
}
