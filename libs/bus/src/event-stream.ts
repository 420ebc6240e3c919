import { AckPolicy, DeliverPolicy, JsMsg, nanos } from 'nats';
import { BusService } from './bus.service';

export type EventSink = (m: JsMsg) => void;
/** Handles one page of a replay; false stops the replay. */
export type PageSink = (page: JsMsg[]) => Promise<boolean>;

const PAGE = 256;

// Replays the events matching `filter` after `afterSeq` one page at a time: the next page is
// fetched only once `onPage` has handled the last (delivered it, waited for the client to read
// it), and the event loop gets a turn between pages. So a replay holds one page in memory
// whatever the length of the stream. Returns the last sequence it read.
export async function replayEventPages(
  bus: BusService,
  filter: string,
  afterSeq: number,
  onPage: PageSink,
): Promise<number> {
  const stream = bus.names.streams.events;
  // The whole stream: read up to its last event at the start, whatever the pending count says
  // (a wildcard consumer's count was seen one short on NATS 2.9, ending a replay early).
  const target = filter === bus.names.eventsAll() ? (await bus.jsm.streams.info(stream)).state.last_seq : 0;
  const info = await bus.jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: afterSeq + 1,
    filter_subject: filter,
    // Outlives a client that takes its time to read a page (it is cut off well before).
    inactive_threshold: nanos(300_000),
    mem_storage: true,
  });
  let last = afterSeq;
  try {
    let pending = info.num_pending;
    const consumer = await bus.js.consumers.get(stream, info.name);
    while (pending > 0 || last < target) {
      const batch = await consumer.fetch({ max_messages: Math.min(Math.max(pending, 1), PAGE), expires: 5_000 });
      const page: JsMsg[] = [];
      for await (const m of batch) {
        page.push(m);
        pending = m.info.pending;
      }
      if (page.length === 0) break;
      last = page[page.length - 1]!.seq;
      if (!(await onPage(page))) break;
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    await bus.jsm.consumers.delete(stream, info.name).catch(() => undefined);
  }
  return last;
}

// Replays the events matching `filter` with a stream sequence above `afterSeq`, up to the last
// one stored when the replay catches up. Returns the last sequence it delivered.
export async function replayEvents(
  bus: BusService,
  filter: string,
  afterSeq: number,
  sink: EventSink,
): Promise<number> {
  const stream = bus.names.streams.events;
  const info = await bus.jsm.consumers.add(stream, {
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: afterSeq + 1,
    filter_subject: filter,
    inactive_threshold: nanos(30_000),
    mem_storage: true,
  });
  let last = afterSeq;
  try {
    let pending = info.num_pending;
    const consumer = await bus.js.consumers.get(stream, info.name);
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(pending, 512), expires: 5_000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        last = m.seq;
        pending = m.info.pending;
        sink(m);
      }
      if (got === 0) break;
    }
  } finally {
    await bus.jsm.consumers.delete(stream, info.name).catch(() => undefined);
  }
  return last;
}

// Follows every event stored after `afterSeq`, in order and without gaps (an ordered consumer
// recreates itself from the last sequence it saw when anything goes wrong).
export async function followEvents(bus: BusService, afterSeq: number, sink: EventSink): Promise<() => Promise<void>> {
  const consumer = await bus.js.consumers.get(bus.names.streams.events, {
    filterSubjects: bus.names.eventsAll(),
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: afterSeq + 1,
  });
  const messages = await consumer.consume({ max_messages: 512 });
  const done = (async () => {
    for await (const m of messages) sink(m);
  })();
  return async () => {
    await messages.close().catch(() => undefined);
    await done.catch(() => undefined);
  };
}

export async function lastEventSeq(bus: BusService): Promise<number> {
  const info = await bus.jsm.streams.info(bus.names.streams.events);
  return info.state.last_seq;
}

export async function firstEventSeq(bus: BusService): Promise<number> {
  const info = await bus.jsm.streams.info(bus.names.streams.events);
  return info.state.first_seq;
}
