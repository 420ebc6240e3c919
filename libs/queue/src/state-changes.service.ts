import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EventEnvelope, MailboxCommand } from '@wiz/contracts';
import { BusService } from '@wiz/bus';
import { NewOutboxRow, OutboxEntity, OutboxRepository, writeTransaction } from '@wiz/persistence';
import { OutboxRelay } from './outbox.relay';
import { Context, context, jobsTotal, traceHeaders } from '@wiz/telemetry';
import { beginJournal, Journal } from './journal';

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
/**
 * Transactions of one process in flight at once on Postgres (the pool has 10 connections: the
 * rest serve reads). Under load every one is busy and arrivals group up as before.
 */
const CONCURRENT_GROUPS = 4;

// The one way state changes: the store change and the bus messages it implies commit in one
// transaction (docs/architecture.md, invariant 1: transactional outbox); the relay publishes after commit.
//
// Group commit: the units that arrive while the process's transactions are all busy are
// committed together in the next free one, one after another, with one BEGIN/COMMIT and one
// outbox insert between them: fewer statements and commits per job. SQLite has one writer, so
// one transaction at a time; Postgres runs up to CONCURRENT_GROUPS of them at once, so a unit
// (a REST submit, a job's start) does not wait behind a whole group of others' round trips.
// Within a group, units run in the order of their key (the agent whose rows they lock), so
// concurrent groups (of one process or of several) take agent locks in one order and do not
// deadlock each other.
// If a group fails (a deadlock all the same, a constraint, a lost connection), the in-memory
// changes its units made are undone (see journal.ts) and each unit runs again in a
// transaction of its own, so one bad unit never fails the others. Units must therefore change
// entities only through JobFlowService.move, or be safe to run twice.
@Injectable()
export class StateChangesService {
  private readonly pending: Unit[] = [];
  /** Transactions running now, and at most how many (1 on SQLite: writeTransaction chains them). */
  private running = 0;
  private readonly slots: number;
  private scheduled = false;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly outbox: OutboxRepository,
    private readonly relay: OutboxRelay,
    private readonly bus: BusService,
  ) {
    this.slots = ds.options.type === 'postgres' ? CONCURRENT_GROUPS : 1;
  }

  /** `key`: the agent whose rows the work locks first, if any (orders the units of a group). */
  commit<T>(work: Work<T>, key = ''): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, key, ctx: context.active(), resolve: resolve as (v: unknown) => void, reject });
      // Units asked for in one turn (a burst of submissions, a group's resolutions) start together.
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.drain();
        });
      }
    });
  }

  private drain(): void {
    while (this.pending.length && this.running < this.slots) {
      const group = this.pending.splice(0, MAX_GROUP);
      this.running++;
      const done = group.length === 1 ? this.runAlone(group[0]!) : this.runGroup(group.sort(byKey));
      void done.finally(() => {
        this.running--;
        this.drain();
      });
    }
  }

  private async runGroup(group: Unit[]): Promise<void> {
    let journal: Journal | undefined;
    try {
      const results: unknown[] = [];
      const written = await this.transaction(async (m, emit) => {
        journal = beginJournal(m);
        for (const u of group) results.push(await context.with(u.ctx, () => u.work(m, emit)));
      });
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

  // Committed: hand the rows to the relay and count the jobs' transitions (never a rolled-back one).
  private published(rows: Written[]): void {
    this.relay.push(rows);
    for (const r of rows) if (r.kind === 'event' && r.status) jobsTotal.inc({ status: r.status });
  }

  private transaction(work: (m: EntityManager, emit: Emit) => Promise<void>): Promise<Written[]> {
    return writeTransaction(this.ds, async (m) => {
      const rows: NewOutboxRow[] = [];
      const statuses = new Map<string, string>();
      const emit: Emit = {
        event: (e) => {
          rows.push({ kind: 'event', id: e.id, subject: this.bus.names.eventSubject(e), payload: JSON.stringify(e) });
          const status = statusOf(e);
          if (status) statuses.set(e.id, status);
        },
        command: (subject, c, msgId) =>
          rows.push({ kind: 'command', id: msgId, subject, payload: JSON.stringify(c), headers: traceHeaders() }),
      };
      await work(m, emit);
      const written = rows.length ? await this.outbox.insert(rows, new Date(Date.now() + this.relay.claimMs), m) : [];
      return written.map((r) => Object.assign(r, { status: statuses.get(r.id) }));
    });
  }
}

type Written = OutboxEntity & { status?: string };

const byKey = (a: Unit, b: Unit) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

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
