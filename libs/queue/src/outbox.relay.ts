import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { ErrorCode } from 'nats';
import { BusService } from '@wiz/bus';
import { OutboxEntity, OutboxRepository } from '@wiz/persistence';
import { outboxDeadLetters, outboxPublishFailures } from '@wiz/telemetry';
import { PeriodicWorker } from './periodic.worker';

const BATCH = 512;
const DELETE_EVERY_MS = 100;
const RENEW_CHUNK = 500;

export const OUTBOX_TIMING = Symbol('OUTBOX_TIMING');
export interface OutboxTiming {
  /** How long a writer's claim on its rows lasts unless renewed (a dead writer's rows lapse after it). */
  claimMs: number;
  /** How often lapsed rows are looked for. */
  sweepMs: number;
}
export const DEFAULT_OUTBOX_TIMING: OutboxTiming = { claimMs: 1_500, sweepMs: 500 };

// Publishes committed outbox rows, then deletes them. Rows this process wrote are pushed here
// right after their commit (no polling delay) and published in the order they were written
// (commit order in this process). The writer holds a short claim on its rows and renews it
// while they wait in its queue; rows left by a process that died (or could not reach NATS)
// lapse within `claimMs` and are swept by any process within `sweepMs` more, oldest first.
// Publishing is idempotent (`Nats-Msg-Id` = row id, JetStream's duplicate window is 2 min),
// so a row published twice is stored once. Events go before commands within a batch so that
// `job.created` is on the stream before any runtime can act on the job.
@Injectable()
export class OutboxRelay implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger('Outbox');
  readonly claimMs: number;
  private readonly renewer: PeriodicWorker<void>;
  private readonly queue: OutboxEntity[] = [];
  private readonly queued = new Set<string>();
  private flushing?: Promise<void>;
  private readonly sweeper: PeriodicWorker<void>;
  private failures = 0;
  private deadLettered = 0;
  private readonly deadIds: string[] = [];
  // Published rows are deleted in batches, not per flush: one statement for many jobs. Rows
  // whose delete is lost are republished by the sweep after their claim; JetStream drops them.
  private readonly published: string[] = [];
  private deleter?: NodeJS.Timeout;

  constructor(
    private readonly bus: BusService,
    private readonly outbox: OutboxRepository,
    @Optional() @Inject(OUTBOX_TIMING) timing: OutboxTiming = DEFAULT_OUTBOX_TIMING,
  ) {
    this.claimMs = timing.claimMs;
    this.sweeper = new PeriodicWorker(
      timing.sweepMs,
      () => this.sweepOnce(),
      (e) => this.log.warn(`outbox sweep failed: ${String(e)}`),
    );
    this.renewer = new PeriodicWorker(
      Math.max(100, Math.floor(timing.claimMs / 3)),
      () => this.renewClaims(),
      (e) => this.log.warn(`outbox claim renewal failed: ${String(e)}`),
    );
  }

  onModuleInit(): void {
    this.sweeper.start();
    this.renewer.start();
    void this.sweeper.run();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.sweeper.stop();
    await this.renewer.stop();
    // At most 5 s for what is queued; the timer is cleared so that it never holds the process.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.drain(), new Promise((r) => (timer = setTimeout(r, 5_000)))]);
    clearTimeout(timer);
    await this.deletePublished();
  }

  push(rows: OutboxEntity[]): void {
    for (const r of rows) {
      const id = r.id;
      if (this.queued.has(id)) continue;
      this.queued.add(id);
      this.queue.push(r);
    }
    if (this.queue.length) void this.publishAll();
  }

  /** Resolves when everything pushed so far is published (or failed for now) and forgotten. */
  async drain(): Promise<void> {
    await this.publishAll();
    await this.deletePublished();
  }

  private publishAll(): Promise<void> {
    this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  get backlog(): number {
    return this.queue.length;
  }

  private async flush(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.slice(0, BATCH);
      // Events first; commands only once their events are on the stream.
      const sent =
        (await this.publish(batch.filter((r) => r.kind === 'event'))) &&
        (await this.publish(batch.filter((r) => r.kind !== 'event')));
      if (!sent) {
        // NATS unreachable: keep the rows (they are in the store too) and retry with backoff.
        this.failures++;
        outboxPublishFailures.inc();
        await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** Math.min(this.failures, 6))));
        continue;
      }
      this.failures = 0;
      this.queue.splice(0, batch.length);
      batch.forEach((r) => this.queued.delete(r.id));
      const dead = new Set(this.deadIds.splice(0));
      this.published.push(...batch.filter((r) => !dead.has(r.id)).map((r) => r.id));
      if (this.published.length >= BATCH) await this.deletePublished();
      else this.deleter ??= setTimeout(() => void this.deletePublished(), DELETE_EVERY_MS);
    }
  }

  private async deletePublished(): Promise<void> {
    clearTimeout(this.deleter);
    this.deleter = undefined;
    const ids = this.published.splice(0);
    if (ids.length) await this.outbox.delete(ids).catch((e) => this.log.warn(`outbox delete failed: ${String(e)}`));
  }

  /**
   * Publishes `rows`; false if one could not be published for now (NATS unreachable). A row the
   * bus refuses for good is dead-lettered instead: marked in the store with the reason, logged,
   * counted, and never retried, so it cannot hold back the rows after it.
   */
  private async publish(rows: OutboxEntity[]): Promise<boolean> {
    const results = await Promise.allSettled(rows.map((r) => this.publishOne(r)));
    let sent = true;
    for (const [i, res] of results.entries()) {
      if (res.status === 'fulfilled') continue;
      const row = rows[i]!;
      const reason = refusalOf(res.reason, row);
      if (reason && (await this.deadLetter(row, reason))) continue;
      sent = false;
      if (this.failures === 0 || this.failures % 20 === 0)
        this.log.warn(`publish failed, will retry: ${String(res.reason)}`);
    }
    return sent;
  }

  private publishOne(r: OutboxEntity): Promise<unknown> {
    const limit = this.bus.nc.info?.max_payload;
    const bytes = Buffer.byteLength(r.payload, 'utf8');
    if (limit && bytes > limit) return Promise.reject(new PayloadTooLarge(bytes, limit));
    return this.bus.publish(r.subject, r.payload, r.id, r.headers);
  }

  private async deadLetter(row: OutboxEntity, reason: string): Promise<boolean> {
    try {
      await this.outbox.markDead(row.id, reason);
    } catch (e) {
      this.log.warn(`could not dead-letter outbox row ${row.id}: ${String(e)}`);
      return false;
    }
    this.deadLettered++;
    outboxDeadLetters.inc();
    this.deadIds.push(row.id);
    this.log.error(`outbox row ${row.id} (${row.kind} on ${row.subject}) dead-lettered: ${reason}`);
    return true;
  }

  /** For /health: rows dead-lettered by this process, and how old the oldest row still to publish is. */
  async status(): Promise<{ deadLettered: number; oldestPendingMs: number }> {
    const oldest = await this.outbox.oldestPending();
    return { deadLettered: this.deadLettered, oldestPendingMs: oldest ? Date.now() - oldest.getTime() : 0 };
  }

  // Rows still waiting in this process's queue keep their claim while publishing works, so a
  // live but busy process keeps its rows; a process that cannot reach NATS lets them lapse, and
  // a process that can publishes them.
  private async renewClaims(): Promise<void> {
    if (this.failures > 0 || this.queue.length === 0) return;
    const until = new Date(Date.now() + this.claimMs);
    const ids = this.queue.map((r) => r.id);
    for (let i = 0; i < ids.length; i += RENEW_CHUNK) await this.outbox.renew(ids.slice(i, i + RENEW_CHUNK), until);
  }

  /** Claims and publishes rows whose writer died or could not publish (runs every `sweepMs`). */
  async sweep(): Promise<void> {
    await this.sweeper.run();
  }

  private async sweepOnce(): Promise<void> {
    const now = new Date();
    const rows = await this.outbox.claimStale(now, new Date(now.getTime() + this.claimMs), BATCH);
    if (rows.length) {
      this.log.log(`re-publishing ${rows.length} outbox message(s) left unpublished`);
      this.push(rows);
    }
  }
}

class PayloadTooLarge extends Error {
  constructor(bytes: number, limit: number) {
    super(`message of ${bytes} bytes is over the bus limit (max_payload ${limit})`);
  }
}

/** Why the bus refuses `row` for good, or undefined if the failure may pass (NATS down, timeout). */
function refusalOf(e: unknown, row: OutboxEntity): string | undefined {
  if (e instanceof PayloadTooLarge) return e.message;
  const err = e as { code?: string; message?: string };
  if (
    err?.code === ErrorCode.MaxPayloadExceeded ||
    /maximum (message|payload) size|max_payload/i.test(err?.message ?? '')
  )
    return `bus refused ${Buffer.byteLength(row.payload, 'utf8')} bytes: ${err.message ?? err.code}`;
  return undefined;
}
