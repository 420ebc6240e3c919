import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { StoreUpkeep } from '@wiz/persistence';
import { PeriodicWorker } from '../periodic.worker';

// Every WIZ_STORE_UPKEEP_MS, autovacuum's work on Wiz's tables where the Postgres server does not
// do it (see StoreUpkeep); nothing where it does, or on SQLite. 0 turns it off.
@Injectable()
export class StoreUpkeepWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('StoreUpkeep');
  private readonly loop: PeriodicWorker<unknown>;

  constructor(
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly upkeep: StoreUpkeep,
  ) {
    this.loop = new PeriodicWorker(
      config.WIZ_STORE_UPKEEP_MS || 1,
      () => this.upkeep.pass(),
      (e) => this.log.warn(`store upkeep failed: ${String(e)}`),
    );
  }

  onApplicationBootstrap(): void {
    if (this.config.WIZ_STORE_UPKEEP_MS > 0) this.loop.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}
