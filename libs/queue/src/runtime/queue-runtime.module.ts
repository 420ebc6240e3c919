import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '../queue.module';
import { DelayedJobsWorker } from './delayed-jobs.worker';
import { RetentionWorker } from './retention.worker';
import { StalledJobsWorker } from './stalled-jobs.worker';
import { StoreUpkeepWorker } from './store-upkeep.worker';

// The queue's background work, run by runtimes only (gateways stay stateless).
@Module({
  imports: [PersistenceModule, QueueModule],
  providers: [DelayedJobsWorker, RetentionWorker, StalledJobsWorker, StoreUpkeepWorker],
  exports: [DelayedJobsWorker, RetentionWorker, StalledJobsWorker],
})
export class QueueRuntimeModule {}
