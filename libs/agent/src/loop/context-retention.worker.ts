import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ActivityContextsRepository } from '@wiz/persistence';
import { PeriodicWorker } from '@wiz/queue';

const EVERY_MS = 60_000;
const BATCH = 1_000;

// A job's ActivityContext goes when the job goes (the queue's retention deletes finished jobs).
@Injectable()
export class ContextRetentionWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('ContextRetention');
  private readonly loop = new PeriodicWorker(
    EVERY_MS,
    () => this.sweep(),
    (e) => this.log.warn(`context retention failed: ${String(e)}`),
  );

  constructor(private readonly contexts: ActivityContextsRepository) {}

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass; returns how many contexts it deleted. */
  async sweep(): Promise<number> {
    let deleted = 0;
    for (let n = BATCH; n === BATCH; deleted += n) n = await this.contexts.deleteOrphans(BATCH);
    return deleted;
  }
}
