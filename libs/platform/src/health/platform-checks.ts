import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BusService } from '@wiz/bus';
import { CheckResult, ReadinessChecks } from './readiness-checks';

// The checks every process shares: the store answers a query, NATS a ping, and JetStream both
// streams' info (which needs each stream's leader: a stream whose node is down is not ready).
@Injectable()
export class PlatformChecks implements OnModuleInit {
  constructor(
    private readonly checks: ReadinessChecks,
    private readonly bus: BusService,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}

  onModuleInit(): void {
    this.checks.register('nats', () => this.bus.health());
    this.checks.register('database', () => this.database());
    this.checks.register('streams', () => this.bus.streamsHealth());
  }

  private async database(): Promise<CheckResult> {
    await this.ds.query('SELECT 1');
    return { ok: true, detail: this.ds.options.type === 'postgres' ? 'postgres' : 'sqlite' };
  }
}
