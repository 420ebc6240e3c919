export { BusModule } from './bus.module';
export { BusService, withTimeout } from './bus.service';
export { firstEventSeq, followEvents, lastEventSeq, replayEventPages, replayEvents } from './event-stream';
export { HANDED_BACK, HANDLED, MAILBOX_PATTERN, MailboxTransport } from './mailbox.transport';
export { PartitionLeases } from './partition-leases';
export { provision } from './provision';
export type { BusTopology } from './provision';
export { WindowCounters } from './window-counters';
export type { WindowCount } from './window-counters';
