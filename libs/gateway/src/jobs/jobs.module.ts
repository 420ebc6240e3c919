import { Module } from '@nestjs/common';
import { JobContextService } from './job-context.service';
import { JobsController } from './jobs.controller';

// Jobs: create, list, counts, cancel, retry, and a job's ActivityContext.
@Module({ controllers: [JobsController], providers: [JobContextService] })
export class JobsModule {}
