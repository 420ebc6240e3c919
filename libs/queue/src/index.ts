export * from './events';
export * from './job.mapper';
export * from './jobs.service';
export * from './job-execution.service';
export * from './outbox.relay';
export * from './state-changes.service';
export * from './queue.module';
