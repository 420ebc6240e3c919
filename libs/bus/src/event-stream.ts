import { Logger } from '@nestjs/common';
import { AckPolicy, Consumer, DeliverPolicy, JsMsg, MsgRequest, nanos } from 'nats';
import { WizError } from '@wiz/contracts';
import { BusService } from './bus.service';

export type EventSink = (m: JsMsg) => void;
/** Handles one page of a replay; false stops the replay. */
export type PageSink = (page: JsMsg[]) => Promise<boolean>;

/** JetStream's "no message found" (STREAM.MSG.GET). */
const NO_MESSAGE = 10037;
const PAGE = 256;
/** How long a page may take to come; then the replay's consumer is made again (see below). */
const PAGE_WAIT_MS = 5_000;
/** Pages lost in a row before a replay gives up with an error. */
const LOST_PAGES = 3;
/** The wait before a lost page is asked for again, times the pages lost in a row. */
const RETRY_MS = 500;
/** The wait before the n-th try again of a read of the stream. */
const pause = (n: number) => new Promise((r) => setTimeout(r, RETRY_MS * n));
const log = new Logger('EventStream');

// Replays the events matching `filter` after `afterSeq` one page at a time: the next page is
// fetched only once `onPage` has handled the last (delivered it, waited for the client to read
// it), and the event loop gets a turn between pages. So a replay holds one page in memory
// whatever the length of the stream. Returns the last sequence it read.
//
// Nothing is skipped in silence. A fetch ends at its deadline on the client's clock: on a busy
// process it can end before the page that the server sent was read, and those messages are
// gone from the consumer (no acks). So a page that comes back short of a delivery (a gap in the
// consumer's sequence) or empty while events remain, or a read of the stream that failed (timed
// out, refused by a busy server), starts a new consumer after the last event read, a moment
// later; after LOST_PAGES such pages in a row the replay fails rather than end early. (The
// library's ordered consumer recreates itself the same way, but it cannot size its first page by
// the pending count, so a short replay would wait out the fetch's deadline.)
export async function replayEventPages(
  bus: BusService,
  filter: string,
  afterSeq: number,
  onPage: PageSink,
): Promise<number> {
  let last = afterSeq;
  let target: number | undefined;
  let cursor: ReplayCursor | undefined;
  let lost = 0;
  let failure: unknown;
  // The next page, or null at the end. Each read of the stream may time out on a busy process.
  const next = async (): Promise<{ page: JsMsg[]; whole: boolean } | null> => {
    // The whole stream: read up to its last event at the start, whatever the pending count says
    // (a wildcard consumer's count was seen one short on NATS 2.9, ending a replay early).
    target ??=
      filter === bus.names.eventsAll() ? (await bus.jsm.streams.info(bus.names.streams.events)).state.last_seq : 0;
    cursor ??= await ReplayCursor.open(bus, filter, last);
    if (cursor.pending <= 0 && last >= target) return null;
    const read = await cursor.page();
    if (read.page.length === 0 && !(await eventAfter(bus, filter, last))) return null;
    return read;
  };
  try {
    for (;;) {
      let read: { page: JsMsg[]; whole: boolean } | null;
      try {
        read = await next();
      } catch (e) {
        // A read of the stream that failed (timed out, or refused by a busy server): as a lost page.
        failure = e;
        read = { page: [], whole: false };
      }
      if (read === null) break;
      const { page, whole } = read;
      if (page.length > 0) {
        lost = 0;
        failure = undefined;
        last = page[page.length - 1]!.seq;
        if (!(await onPage(page))) break;
        await new Promise((r) => setImmediate(r));
      }
      if (whole) continue;
      if (++lost > LOST_PAGES) {
        // The client is told where to resume; the bus's own error stays in this process's log.
        log.warn(`replay of ${filter} gave up after event ${last}: ${failure ? String(failure) : 'no page'}`);
        throw new WizError(
          'unavailable',
          `the event stream did not answer after event ${last}; subscribe again with since=${last}`,
        );
      }
      await cursor?.close();
      cursor = undefined;
      await pause(lost); // a busy server is given a moment before it is asked again
    }
  } finally {
    await cursor?.close();
  }
  return last;
}

/** A replay's consumer, from one sequence on; `page` reads the next page in delivery order. */
class ReplayCursor {
  private delivered = 0;

  private constructor(
    private readonly bus: BusService,
    private readonly name: string,
    private readonly consumer: Consumer,
    public pending: number,
  ) {}

  static async open(bus: BusService, filter: string, afterSeq: number): Promise<ReplayCursor> {
    const stream = bus.names.streams.events;
    const info = await bus.jsm.consumers.add(stream, {
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: afterSeq + 1,
      filter_subject: filter,
      // Outlives a client that takes its time to read a page (it is cut off well before).
      inactive_threshold: nanos(300_000),
      mem_storage: true,
    });
    return new ReplayCursor(bus, info.name, await bus.js.consumers.get(stream, info.name), info.num_pending);
  }

  /** The next page; `whole` is false when a message of it was lost (the page ends before it). */
  async page(): Promise<{ page: JsMsg[]; whole: boolean }> {
    const max = Math.min(Math.max(this.pending, 1), PAGE);
    const batch = await this.consumer.fetch({ max_messages: max, expires: PAGE_WAIT_MS });
    const page: JsMsg[] = [];
    let whole = true;
    for await (const m of batch) {
      if (m.info.deliverySequence !== this.delivered + 1) {
        whole = false;
        break;
      }
      this.delivered = m.info.deliverySequence;
      this.pending = m.info.pending;
      page.push(m);
    }
    return { page, whole: whole && page.length > 0 };
  }

  async close(): Promise<void> {
    await this.bus.jsm.consumers.delete(this.bus.names.streams.events, this.name).catch(() => undefined);
  }
}

/** Whether the stream holds an event matching `filter` after `afterSeq`. */
async function eventAfter(bus: BusService, filter: string, afterSeq: number): Promise<boolean> {
  // The server's STREAM.MSG.GET takes `next_by_subj` (NATS 2.9 on); nats.js types it for direct gets only.
  const next = { next_by_subj: filter, seq: afterSeq + 1 } as unknown as MsgRequest;
  try {
    await bus.jsm.streams.getMessage(bus.names.streams.events, next);
    return true;
  } catch (e) {
    if ((e as { api_error?: { err_code?: number } }).api_error?.err_code === NO_MESSAGE) return false;
    throw e;
  }
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

// Asked as a replay starts (have its first events expired?): a busy server that fails to answer
// is asked again as a lost page is, rather than end the replay.
export async function firstEventSeq(bus: BusService): Promise<number> {
  for (let tries = 1; ; tries++) {
    try {
      return (await bus.jsm.streams.info(bus.names.streams.events)).state.first_seq;
    } catch (e) {
      if (tries > LOST_PAGES) throw e;
      await pause(tries);
    }
  }
}
