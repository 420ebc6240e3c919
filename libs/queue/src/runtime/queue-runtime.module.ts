import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '../queue.module';
import { DelayedJobs } from './delayed-jobs.service';
import { Retention } from './retention.service';
import { StalledJobs } from './stalled-jobs.service';

// The queue's background work, run by runtimes only (gateways stay stateless).
@Module({
  imports: [PersistenceModule, QueueModule],
  providers: [DelayedJobs, Retention, StalledJobs],
  exports: [DelayedJobs, Retention, StalledJobs],
})
export class QueueRuntimeModule {}
