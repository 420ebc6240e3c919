import { Controller, Get, HttpStatus, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorFunction, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import type { Health } from '@wiz/contracts';
import { Public } from '../owner.decorator';
import { ReadinessChecks } from './readiness-checks';

// Probes for an orchestrator, on every process (gateway, runtime, server):
// - /livez: the process answers (never its dependencies: a database outage must not restart pods);
// - /readyz: every readiness check (database, NATS, the streams, and what features registered);
// - /startupz: answers once migrations ran and the app started (nothing listens before that);
// - /health: the readiness checks in the original shape (`status`, one `{ ok, detail }` per check).
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly checks: ReadinessChecks,
  ) {}

  @Get('livez')
  livez(@Res() res: Response): Promise<void> {
    return this.answer(res, []);
  }

  @Get('startupz')
  startupz(@Res() res: Response): Promise<void> {
    return this.answer(res, []);
  }

  @Get('readyz')
  async readyz(@Res() res: Response): Promise<void> {
    const results = await this.checks.run();
    const fns: HealthIndicatorFunction[] = Object.entries(results).map(([name, r]) => () => {
      const session = this.indicator.check(name);
      return Promise.resolve(r.ok ? session.up({ detail: r.detail }) : session.down({ detail: r.detail }));
    });
    return this.answer(res, fns);
  }

  @Get('health')
  async legacy(@Res() res: Response): Promise<void> {
    const results = await this.checks.run();
    const ok = Object.values(results).every((r) => r.ok);
    const { nats, database, streams, outbox, leases } = results;
    const body: Health = { status: ok ? 'ok' : 'unavailable', nats, database, streams, outbox, leases };
    res.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).json(body);
  }

  // Terminus answers 503 by throwing; its body is kept as is (not turned into an API error).
  private async answer(res: Response, fns: HealthIndicatorFunction[]): Promise<void> {
    try {
      res.status(HttpStatus.OK).json(await this.health.check(fns));
    } catch (e) {
      if (!(e instanceof ServiceUnavailableException)) throw e;
      res.status(HttpStatus.SERVICE_UNAVAILABLE).json(e.getResponse());
    }
  }
}
