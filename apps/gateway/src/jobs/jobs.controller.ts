import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CreateJob, CreateJobSchema, isUuid, Job, notFound } from '@wiz/contracts';
import { Owner, ZodPipe } from '@wiz/platform';
import { JobsService } from '@wiz/queue';

@Controller('api/v1/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @HttpCode(202)
  submit(@Owner() owner: string, @Body(new ZodPipe(CreateJobSchema)) body: CreateJob): Promise<Job> {
    return this.jobs.submit(owner, body);
  }

  @Get(':id')
  get(@Owner() owner: string, @Param('id') id: string): Promise<Job> {
    if (!isUuid(id)) throw notFound('job', id);
    return this.jobs.get(owner, id);
  }
}
