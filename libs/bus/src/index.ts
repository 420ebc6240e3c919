export * from './bus.service';
export * from './bus.module';
export * from './mailbox.transport';
export * from './nats-connect';
export * from './provision';
export * from './event-stream';
