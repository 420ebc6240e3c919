import { Controller, Get, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { BusService, withTimeout } from '@wiz/bus';
import type { Health, HealthCheck } from '@wiz/contracts';
import { Public } from './owner.decorator';

@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly bus: BusService,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}

  @Get()
  async health(@Res() res: Response): Promise<void> {
    const [nats, database] = await Promise.all([this.bus.health(), this.database()]);
    const ok = nats.ok && database.ok;
    const body: Health = { status: ok ? 'ok' : 'unavailable', nats, database };
    res.status(ok ? 200 : 503).json(body);
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
