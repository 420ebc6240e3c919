export * from './entities';
export * from './data-source';
export * from './persistence.module';
export * from './repositories/agents.repository';
export * from './repositories/jobs.repository';
export * from './repositories/outbox.repository';
export * from './repositories/schedules.repository';
export * from './write-lock';
