export * from './persona';
export * from './agent-actor';
export * from './job-runner.service';
export * from './actor-registry.service';
export * from './agent.module';
