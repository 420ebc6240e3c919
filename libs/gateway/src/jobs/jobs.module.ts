import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '@wiz/queue';
import { JobContextService } from './job-context.service';
import { JobsController } from './jobs.controller';
import { UsageModule } from '../usage/usage.module';

// Jobs: create, list, counts, cancel, retry, and a job's ActivityContext.
@Module({
  imports: [PersistenceModule, QueueModule, UsageModule],
  controllers: [JobsController],
  providers: [JobContextService],
})
export class JobsModule {}
