import { Controller, Get, Res } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { BusService, withTimeout } from '@wiz/bus';
import { Public } from './owner.decorator';

interface Check {
  ok: boolean;
  detail: string;
}

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
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', nats, database });
  }

  private async database(): Promise<Check> {
    try {
      await withTimeout(this.ds.query('SELECT 1'), 2_000);
      return { ok: true, detail: this.ds.options.type === 'postgres' ? 'postgres' : 'sqlite' };
    } catch (e) {
      return { ok: false, detail: e instanceof Error ? e.message : String(e) };
    }
  }
}
