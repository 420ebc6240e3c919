import { Controller, Get, Inject, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { BusService, withTimeout } from '@wiz/bus';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import type { Health, HealthCheck } from '@wiz/contracts';
import { OutboxRelay } from '@wiz/queue';
import { Public } from './owner.decorator';

@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly bus: BusService,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly relay: OutboxRelay,
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
  ) {}

  @Get()
  async health(@Res() res: Response): Promise<void> {
    const [nats, database, outbox] = await Promise.all([this.bus.health(), this.database(), this.outbox()]);
    const ok = nats.ok && database.ok && outbox.ok;
    const body: Health = { status: ok ? 'ok' : 'unavailable', nats, database, outbox };
    res.status(ok ? 200 : 503).json(body);
  }

  // Events that stay unpublished mean clients see nothing happen: a stuck outbox is not healthy.
  private async outbox(): Promise<HealthCheck> {
    try {
      const { oldestPendingMs, deadLettered } = await withTimeout(this.relay.status(), 2_000);
      const limit = this.config.WIZ_OUTBOX_STUCK_MS;
      const dead = deadLettered ? `; ${deadLettered} dead-lettered by this process` : '';
      return oldestPendingMs > limit
        ? { ok: false, detail: `oldest unpublished message is ${Math.round(oldestPendingMs / 1000)} s old${dead}` }
        : { ok: true, detail: `publishing${dead}` };
    } catch (e) {
      return { ok: false, detail: e instanceof Error ? e.message : String(e) };
    }
  }

  private async database(): Promise<HealthCheck> {
    try {
      await withTimeout(this.ds.query('SELECT 1'), 2_000);
      return { ok: true, detail: this.ds.options.type === 'postgres' ? 'postgres' : 'sqlite' };
    } catch (e) {
      return { ok: false, detail: e instanceof Error ? e.message : String(e) };
    }
  }
}
