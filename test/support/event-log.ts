import { AckPolicy, connect, DeliverPolicy, nanos } from 'nats';
import { TEST_NATS_URL } from './isolation';

// One lifecycle event as stored on the events stream, with its stream sequence.
export interface StoredEvent {
  seq: number;
  subject: string;
  id: string;
  type: string;
  occurredAt: string;
  agentId?: string;
  jobId?: string;
  traceId?: string;
  data: Record<string, unknown>;
}

export const TERMINAL_EVENTS = new Set(['job.completed', 'job.failed', 'job.cancelled']);

/**
 * Reads every event stored on `stream` under `filter`, in stream order, from sequence 1 until
 * nothing is pending, as a client replaying the stream would. Uses its own connection and an
 * ephemeral in-memory consumer that it deletes.
 */
export async function readEventLog(
  stream: string,
  filter: string,
  timeoutMs = 20_000,
  servers = TEST_NATS_URL,
): Promise<StoredEvent[]> {
  const deadline = Date.now() + timeoutMs;
  const nc = await connect({ servers: servers.split(',') });
  const events: StoredEvent[] = [];
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.consumers.add(stream, {
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
      filter_subject: filter,
      inactive_threshold: nanos(30_000),
      mem_storage: true,
    });
    try {
      const consumer = await nc.jetstream().consumers.get(stream, info.name);
      let pending = info.num_pending;
      while (pending > 0) {
        if (Date.now() > deadline)
          throw new Error(`reading ${stream} took over ${timeoutMs} ms (${events.length} read, ${pending} pending)`);
        const batch = await consumer.fetch({ max_messages: Math.min(pending, 1_000), expires: 2_000 });
        for await (const m of batch) {
          const e = m.json<Omit<StoredEvent, 'seq' | 'subject'>>();
          events.push({ ...e, seq: m.seq, subject: m.subject });
          pending = m.info.pending;
        }
      }
    } finally {
      await jsm.consumers.delete(stream, info.name).catch(() => undefined);
    }
  } finally {
    await nc.close();
  }
  return events;
}

/** Event ids stored more than once (each copy is a duplicate a client would see). */
export function duplicateIds(events: readonly StoredEvent[]): string[] {
  const seen = new Map<string, number[]>();
  for (const e of events) seen.set(e.id, [...(seen.get(e.id) ?? []), e.seq]);
  return [...seen].filter(([, seqs]) => seqs.length > 1).map(([id, seqs]) => `${id} at seqs ${seqs.join(',')}`);
}

/** Events grouped by job, each event id once (the first copy), in stream order. */
export function eventsByJob(events: readonly StoredEvent[]): Map<string, StoredEvent[]> {
  const ids = new Set<string>();
  const byJob = new Map<string, StoredEvent[]>();
  for (const e of events) {
    if (!e.jobId || ids.has(e.id)) continue;
    ids.add(e.id);
    byJob.set(e.jobId, [...(byJob.get(e.jobId) ?? []), e]);
  }
  return byJob;
}
