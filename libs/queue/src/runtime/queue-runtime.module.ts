import { Module } from '@nestjs/common';
import { DelayedJobsWorker } from './delayed-jobs.worker';
import { RetentionWorker } from './retention.worker';
import { StalledJobsWorker } from './stalled-jobs.worker';

// The queue's background work, run by runtimes only (gateways stay stateless).
@Module({
  providers: [DelayedJobsWorker, RetentionWorker, StalledJobsWorker],
  exports: [DelayedJobsWorker, RetentionWorker, StalledJobsWorker],
})
export class QueueRuntimeModule {}
