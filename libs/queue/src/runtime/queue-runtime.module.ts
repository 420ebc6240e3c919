import { Module } from '@nestjs/common';
import { DelayedJobs } from './delayed-jobs.service';
import { Retention } from './retention.service';

// The queue's background work, run by runtimes only (gateways stay stateless).
@Module({ providers: [DelayedJobs, Retention], exports: [DelayedJobs, Retention] })
export class QueueRuntimeModule {}
