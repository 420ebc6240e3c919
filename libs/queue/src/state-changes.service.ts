import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EventEnvelope, MailboxCommand } from '@wiz/contracts';
import { BusService } from '@wiz/bus';
import {
  NewOutboxRow,
  OutboxEntity,
  OutboxRepository,
  sideBySide,
  WebhookDeliveryEntity,
  writeTransaction,
} from '@wiz/persistence';
import { OutboxRelay } from './outbox.relay';
import { Context, context, jobsTotal, traceHeaders } from '@wiz/telemetry';
import { beginJournal, Journal } from './journal';
import { WebhookDeliveries } from './webhooks/webhook-deliveries';

export interface Emit {
  event(e: EventEnvelope): void;
  command(subject: string, c: MailboxCommand, msgId: string): void;
}

type Work<T> = (m: EntityManager, emit: Emit) => Promise<T>;

interface Unit {
  work: Work<unknown>;
  /** The caller's trace context: its commands carry it, whichever unit drains the group. */
  ctx: Context;
  key: string;
  resolve(value: unknown): void;
  reject(e: unknown): void;
}

/** Units committed together at most; they share one transaction and one outbox insert. */
const MAX_GROUP = 64;

// The one way state changes: the store change and the bus messages it implies commit in one
// transaction (docs/architecture.md, invariant 1: transactional outbox); the relay publishes after commit.
// The events' webhook deliveries commit with them too (WebhookDeliveries).
//
// Group commit: the units that arrive in the same turn of the event loop, or while a transaction
// runs, are committed together in the next one (one write transaction at a time per process), one
// after another, with one BEGIN/COMMIT and one outbox insert between them: fewer statements and
// commits per job.
// Within a group, units start in the order of their key (the agent whose rows they lock), so
// that groups of two processes mostly take agent locks in one order.
// On Postgres, a group's units of different keys run side by side in its transaction, those of
// one key one after the other, in order (units without a key first, alone): their statements
// reach the server together, in one write per turn of the event loop (BatchedClient), instead of
// one round trip after another, each waking the server's backend. The server still runs them one
// at a time, in the order sent; units that meet on a row (a child's completion waking its
// parent, while the parent's agent runs another unit) are fenced as across processes, by the
// compare-and-set of JobFlowService.move and the conditions of each write, not by row locks
// (one transaction does not wait for itself). Agent rows are not locked strictly in key order,
// so two processes' groups may deadlock: Postgres then fails one, whose units run again alone.
// On SQLite, whose statements answer at once, units run one after the other.
// A statement that only checks that a unit may go on (a new job within its queue's bound) is
// sent with the commit instead (sendInGroup), and fails there if the unit may not.
// If a group fails (a deadlock all the same, a constraint, a lost connection), the in-memory
// changes its units made are undone (see journal.ts) and each unit runs again in a
// transaction of its own, so one bad unit never fails the others. Units must therefore change
// entities only through JobFlowService.move, or be safe to run twice.
// New jobs that nothing else can touch yet (a submit with no dependencies and no parent: it only
// inserts its job, reads nothing it locks, and its mailbox command leaves after its commit) are
// committed in a lane of their own on Postgres (`commitNew`): a second group transaction beside
// the first, so that a submit waits for its own group's one round trip, not for the groups of
// model steps, starts and ends ahead of it. A submit alone in that lane commits as a group of one,
// so that its insert's check goes with the COMMIT too: one round trip, not two (if the check
// fails, it runs again alone, which says why). On SQLite, one writer: the one lane.
@Injectable()
export class StateChangesService {
  private readonly main: Lane = { pending: [], running: false };
  private readonly newJobs: Lane;
  /** Postgres: a group's units of different agents run side by side in its transaction (see above). */
  private readonly interleave: boolean;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly outbox: OutboxRepository,
    private readonly relay: OutboxRelay,
    private readonly bus: BusService,
    private readonly webhooks: WebhookDeliveries,
  ) {
    this.interleave = ds.options.type === 'postgres';
    this.newJobs = this.interleave ? { pending: [], running: false } : this.main;
  }

  /** `key`: the agent whose rows the work locks first, if any (orders the units of a group). */
  commit<T>(work: Work<T>, key = ''): Promise<T> {
    return this.enter(this.main, work, key);
  }

  /** `commit` for work that only inserts a new job nothing else refers to yet (see above). */
  commitNew<T>(work: Work<T>, key = ''): Promise<T> {
    return this.enter(this.newJobs, work, key);
  }

  private enter<T>(lane: Lane, work: Work<T>, key: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      lane.pending.push({ work, key, ctx: context.active(), resolve: resolve as (v: unknown) => void, reject });
      void this.drain(lane);
    });
  }

  private async drain(lane: Lane): Promise<void> {
    if (lane.running) return;
    lane.running = true;
    try {
      // The first unit waits for the rest of this turn of the event loop: the requests, bus
      // messages and model answers read in one poll then commit together. Without it, on SQLite
      // (whose statements answer at once, so nothing queues while a transaction runs) each unit
      // paid its own BEGIN, outbox insert, COMMIT and WAL write, and its own relay flush.
      await new Promise((r) => setImmediate(r));
      while (lane.pending.length) {
        const group = lane.pending.splice(0, MAX_GROUP);
        // A unit alone runs alone, but in the lane of new jobs: a group of one (see above).
        if (group.length === 1 && lane === this.main) await this.runAlone(group[0]!);
        else await this.runGroup(group.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)));
      }
    } finally {
      lane.running = false;
    }
  }

  private async runGroup(group: Unit[]): Promise<void> {
    let journal: Journal | undefined;
    try {
      const results: unknown[] = new Array(group.length);
      const written = await this.transaction(async (m, emit) => {
        journal = beginJournal(m);
        const run = async (units: number[]) => {
          for (const i of units) results[i] = await context.with(group[i]!.ctx, () => group[i]!.work(m, emit));
        };
        // One chain per key (on SQLite, one for all), each in the group's order.
        const chains = new Map<string, number[]>();
        group.forEach((u, i) => {
          const key = this.interleave ? u.key : '';
          const chain = chains.get(key);
          if (chain) chain.push(i);
          else chains.set(key, [i]);
        });
        // Units without a key first, alone: they may touch any agent's rows.
        await run(chains.get('') ?? []);
        chains.delete('');
        // Every chain settles before the transaction ends: none sends a statement after ROLLBACK.
        await sideBySide(...[...chains.values()].map(run));
      }, true);
      this.published(written);
      group.forEach((u, i) => u.resolve(results[i]));
    } catch {
      journal?.undo();
      for (const u of group) await this.runAlone(u);
    }
  }

  private async runAlone(u: Unit): Promise<void> {
    let journal: Journal | undefined;
    try {
      let result: unknown;
      const written = await this.transaction(async (m, emit) => {
        journal = beginJournal(m);
        result = await context.with(u.ctx, () => u.work(m, emit));
      });
      this.published(written);
      u.resolve(result);
    } catch (e) {
      journal?.undo();
      u.reject(e);
    }
  }

  // Committed: hand the rows to the relay and the deliveries to their sender, and count the jobs'
  // transitions (never a rolled-back one).
  private published({ rows, deliveries }: Written): void {
    this.relay.push(rows);
    this.webhooks.committed(deliveries);
    for (const r of rows) if (r.kind === 'event' && r.status) jobsTotal.inc({ status: r.status });
  }

  /** `group`: the transaction of a group (see sendInGroup), not of a unit run alone. */
  private transaction(work: (m: EntityManager, emit: Emit) => Promise<void>, group = false): Promise<Written> {
    return writeTransaction(
      this.ds,
      async (m) => {
        const rows: NewOutboxRow[] = [];
        const events: EventEnvelope[] = [];
        const bodies: string[] = [];
        const statuses = new Map<string, string>();
        const emit: Emit = {
          event: (e) => {
            const payload = JSON.stringify(e);
            rows.push({ kind: 'event', id: e.id, subject: this.bus.names.eventSubject(e), payload });
            events.push(e);
            bodies.push(payload);
            const status = statusOf(e);
            if (status) statuses.set(e.id, status);
          },
          command: (subject, c, msgId) =>
            rows.push({ kind: 'command', id: msgId, subject, payload: JSON.stringify(c), headers: traceHeaders() }),
        };
        await work(m, emit);
        const deliveries = events.length ? await this.webhooks.record(events, bodies, m) : [];
        const written = rows.length ? await this.outbox.insert(rows, new Date(Date.now() + this.relay.claimMs), m) : [];
        return { rows: written.map((r) => Object.assign(r, { status: statuses.get(r.id) })), deliveries };
      },
      { group },
    );
  }
}

/** Units waiting for a group transaction, and whether one runs (at most one per lane). */
interface Lane {
  pending: Unit[];
  running: boolean;
}

interface Written {
  rows: Array<OutboxEntity & { status?: string }>;
  deliveries: WebhookDeliveryEntity[];
}

const JOB_STATUS_EVENTS = new Set([
  'job.queued',
  'job.active',
  'job.completed',
  'job.failed',
  'job.cancelled',
  'job.retrying',
  'job.waiting-children',
]);

/** The status a job event says its job entered (`job.created` says it in its data), if any. */
function statusOf(e: EventEnvelope): string | undefined {
  if (e.type === 'job.created') return (e.data as { status: string }).status;
  return JOB_STATUS_EVENTS.has(e.type) ? e.type.slice(4) : undefined;
}
