import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { StoreUpkeep } from '@wiz/persistence';
import { PeriodicWorker } from '../periodic.worker';

// Every WIZ_STORE_UPKEEP_MS, autovacuum's work on Wiz's tables where the Postgres server does not
// do it (see StoreUpkeep); nothing where it does, or on SQLite. 0 turns it off.
@Injectable()
export class StoreUpkeepWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('StoreUpkeep');
  /** None when WIZ_STORE_UPKEEP_MS is 0. */
  private readonly loop?: PeriodicWorker<void>;
  private told = false;

  constructor(
    @Inject(WIZ_CONFIG) config: WizConfig,
    private readonly upkeep: StoreUpkeep,
  ) {
    if (config.WIZ_STORE_UPKEEP_MS > 0)
      this.loop = new PeriodicWorker(
        config.WIZ_STORE_UPKEEP_MS,
        () => this.pass(),
        (e) => this.log.warn(`store upkeep failed: ${String(e)}`),
      );
  }

  onApplicationBootstrap(): void {
    this.loop?.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }

  /** One pass, logged: the first that did anything at info, so an operator learns autovacuum is off. */
  private async pass(): Promise<void> {
    const done = await this.upkeep.pass();
    if (!done || (!done.vacuumed.length && !done.analysed.length)) return;
    const what = `vacuumed ${done.vacuumed.join(', ') || 'none'}; analysed ${done.analysed.join(', ') || 'none'}`;
    if (this.told) this.log.debug(what);
    else this.log.log(`autovacuum does not serve Wiz's tables: Wiz does its work on them (${what})`);
    this.told = true;
  }
}
