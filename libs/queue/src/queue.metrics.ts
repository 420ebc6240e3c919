import { Injectable, OnModuleInit } from '@nestjs/common';
import { JobsRepository } from '@wiz/persistence';
import { scrapeGauge } from '@wiz/telemetry';
import { OutboxRelay } from './outbox.relay';

// Gauges read from the store at scrape time. The queue is cluster-wide state: every replica
// reports the same values (aggregate with max(), not sum()). The names are fixed (an autoscaler
// reads them).
@Injectable()
export class QueueMetrics implements OnModuleInit {
  constructor(
    private readonly jobs: JobsRepository,
    private readonly relay: OutboxRelay,
  ) {}

  onModuleInit(): void {
    let snapshot: Promise<Array<{ partition: number; depth: number; oldest: Date }>> | undefined;
    // One query serves both gauges of a scrape.
    const read = () => {
      snapshot ??= this.jobs.queuedByPartition().finally(() => setImmediate(() => (snapshot = undefined)));
      return snapshot;
    };
    scrapeGauge('wiz_queue_depth', 'Queued jobs waiting to run, per mailbox partition', ['partition'], async (g) => {
      g.reset();
      for (const r of await read()) g.set({ partition: String(r.partition) }, r.depth);
    });
    scrapeGauge(
      'wiz_queue_oldest_job_age_seconds',
      'Age of the longest-waiting queued job, per mailbox partition',
      ['partition'],
      async (g) => {
        g.reset();
        const now = Date.now();
        for (const r of await read())
          g.set({ partition: String(r.partition) }, Math.max(0, (now - r.oldest.getTime()) / 1000));
      },
    );
    scrapeGauge('wiz_outbox_backlog', 'Outbox messages this process has yet to publish', [], (g) =>
      g.set(this.relay.backlog),
    );
  }
}
