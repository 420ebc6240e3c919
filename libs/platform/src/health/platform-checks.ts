import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BusService, withTimeout } from '@wiz/bus';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { OutboxRelay } from '@wiz/queue';
import { CheckResult, ReadinessChecks } from './readiness-checks';

// The checks every process shares: the store answers a query, NATS a ping, and JetStream both
// streams' info (which needs each stream's leader: a stream whose node is down is not ready).
@Injectable()
export class PlatformChecks implements OnModuleInit {
  constructor(
    private readonly checks: ReadinessChecks,
    private readonly bus: BusService,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly relay: OutboxRelay,
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
  ) {}

  onModuleInit(): void {
    this.checks.register('nats', () => this.bus.health());
    this.checks.register('database', () => this.database());
    this.checks.register('streams', () => this.bus.streamsHealth());
    this.checks.register('outbox', () => this.outbox());
  }

  // Events that stay unpublished mean clients see nothing happen: a stuck outbox is not healthy.
  private async outbox(): Promise<CheckResult> {
    const { oldestPendingMs, deadLettered } = await withTimeout(this.relay.status(), 2_000);
    const limit = this.config.WIZ_OUTBOX_STUCK_MS;
    const dead = deadLettered ? `; ${deadLettered} dead-lettered by this process` : '';
    return oldestPendingMs > limit
      ? { ok: false, detail: `oldest unpublished message is ${Math.round(oldestPendingMs / 1000)} s old${dead}` }
      : { ok: true, detail: `publishing${dead}` };
  }

  private async database(): Promise<CheckResult> {
    await this.ds.query('SELECT 1');
    return { ok: true, detail: this.ds.options.type === 'postgres' ? 'postgres' : 'sqlite' };
  }
}
