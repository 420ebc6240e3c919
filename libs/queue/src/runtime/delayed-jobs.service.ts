import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JobsRepository } from '@wiz/persistence';
import { JobFlow } from '../job-flow.service';
import { StateChanges } from '../state-changes.service';

const EVERY_MS = 200;
const BATCH = 500;

// Moves due `delayed` jobs (delay, runAt, retry backoff) to `queued`. Delays live in the store,
// never in a NAK delay (which would hold a mailbox slot). Every runtime runs this loop; the
// revision compare-and-set lets exactly one of them promote each job.
@Injectable()
export class DelayedJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('DelayedJobs');
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly flow: JobFlow,
    private readonly changes: StateChanges,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), EVERY_MS);
    this.timer.unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One pass; returns how many jobs this process promoted. */
  async tick(now = new Date()): Promise<number> {
    if (this.busy) return 0;
    this.busy = true;
    let promoted = 0;
    try {
      for (const job of await this.jobs.dueDelayed(now, BATCH)) {
        if (await this.changes.commit((m, emit) => this.flow.release(job, m, emit, now))) promoted++;
      }
    } catch (e) {
      this.log.warn(`promoting delayed jobs failed: ${String(e)}`);
    } finally {
      this.busy = false;
    }
    return promoted;
  }
}
