import { AckPolicy, DeliverPolicy, JsMsg, nanos } from 'nats';
import { BusService } from './bus.service';

export type EventSink = (m: JsMsg) => void;

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
