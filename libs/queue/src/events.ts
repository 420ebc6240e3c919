import { randomUUID } from 'node:crypto';
import { clipToBytes, EventEnvelope, EventType, PayloadOf } from '@wiz/contracts';

export interface EventSubjects {
  agentId?: string;
  jobId?: string;
  /** A job's events carry the conversation it answers. */
  conversationId?: string | null;
  traceId: string;
}

// Every event is built here, and its data bounded here (long fields clipped, the full record
// stays in the store): one oversized field can never make an event the bus refuses.
export function makeEvent<T extends EventType>(type: T, ids: EventSubjects, data: PayloadOf<T>): EventEnvelope<T> {
  return {
    id: randomUUID(),
    type,
    occurredAt: new Date().toISOString(),
    traceId: ids.traceId,
    ...(ids.agentId ? { agentId: ids.agentId } : {}),
    ...(ids.jobId ? { jobId: ids.jobId } : {}),
    ...(ids.conversationId ? { conversationId: ids.conversationId } : {}),
    data: clipToBytes(data).value,
  };
}
