import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { JobsRepository } from '@wiz/persistence';
import { PeriodicWorker } from '../periodic.worker';

const EVERY_MS = 60_000;
const BATCH = 1_000;

// Deletes finished jobs past the retention policy (count and age per outcome). Events age out
// of their stream on their own (WIZ_EVENTS_MAX_AGE_HOURS).
@Injectable()
export class RetentionWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Retention');
  private readonly loop = new PeriodicWorker(
    EVERY_MS,
    () => this.sweep(),
    (e) => this.log.warn(`retention failed: ${String(e)}`),
  );

  constructor(
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly jobs: JobsRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass; returns how many jobs it deleted. */
  async sweep(now = Date.now()): Promise<number> {
    const c = this.config;
    const policies = [
      ['completed', c.WIZ_KEEP_COMPLETED, c.WIZ_KEEP_COMPLETED_HOURS],
      ['failed', c.WIZ_KEEP_FAILED, c.WIZ_KEEP_FAILED_HOURS],
      ['cancelled', c.WIZ_KEEP_FAILED, c.WIZ_KEEP_FAILED_HOURS],
    ] as const;
    let deleted = 0;
    for (const [status, keep, hours] of policies) {
      for (;;) {
        const ids = await this.jobs.expired(status, keep, new Date(now - hours * 3_600_000), BATCH);
        if (!ids.length) break;
        await this.jobs.deleteMany(ids);
        deleted += ids.length;
        if (ids.length < BATCH) break;
      }
    }
    if (deleted) this.log.log(`deleted ${deleted} finished job(s) past retention`);
    return deleted;
  }
}
