import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JobsRepository } from '@wiz/persistence';
import { isParked, JobFlowService } from '../job-flow.service';
import { PeriodicWorker } from '../periodic.worker';
import { StateChangesService } from '../state-changes.service';

const EVERY_MS = 200;
const BATCH = 500;

// Moves due `delayed` jobs (delay, runAt, retry backoff) to `queued`, and wakes parked jobs at
// their wake-up time. Delays live in the store,
// never in a NAK delay (which would hold a mailbox slot). Every runtime runs this loop; the
// revision compare-and-set lets exactly one of them promote each job.
@Injectable()
export class DelayedJobsWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('DelayedJobs');
  private readonly loop = new PeriodicWorker(
    EVERY_MS,
    () => this.pass(new Date()),
    (e) => this.log.warn(`promoting delayed jobs failed: ${String(e)}`),
  );

  constructor(
    private readonly jobs: JobsRepository,
    private readonly flow: JobFlowService,
    private readonly changes: StateChangesService,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass; returns how many jobs this process promoted. */
  async tick(now = new Date()): Promise<number> {
    return (await this.loop.run(() => this.pass(now))) ?? 0;
  }

  private async pass(now: Date): Promise<number> {
    let promoted = 0;
    for (const job of await this.jobs.dueDelayed(now, BATCH)) {
      if (await this.changes.commit((m, emit) => this.flow.release(job, m, emit, now), job.agentId)) promoted++;
    }
    // Parked jobs whose wake-up time passed (ask_agent's deadline, an approval's, question's or signal's).
    for (const job of await this.jobs.dueParked(now, BATCH)) {
      if (isParked(job) && (await this.changes.commit((m, emit) => this.flow.wake(job, m, emit), job.agentId)))
        promoted++;
    }
    return promoted;
  }
}
