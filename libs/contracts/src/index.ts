export * from './agent.schema';
export * from './job.schema';
export * from './event.schema';
export * from './bus.schema';
export * from './ws.schema';
export * from './subjects';
export * from './errors';
export * from './validation';
