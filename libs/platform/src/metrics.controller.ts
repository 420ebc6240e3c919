import { Controller, ForbiddenException, Get, Header, Inject, Req } from '@nestjs/common';
import type { Request } from 'express';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { metricsRegistry } from '@wiz/telemetry';
import { Public } from './owner.decorator';

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

// Prometheus scrape endpoint. Operators scrape without API keys, so access is its own setting
// (WIZ_METRICS_ACCESS): loopback callers only by default, anyone, or a bearer token.
@Controller()
export class MetricsController {
  constructor(@Inject(WIZ_CONFIG) private readonly config: WizConfig) {}

  @Public()
  @Get('metrics')
  @Header('content-type', metricsRegistry.contentType)
  @Header('cache-control', 'no-store')
  async metrics(@Req() req: Request): Promise<string> {
    if (!this.allowed(req)) throw new ForbiddenException('/metrics is not open to this caller (WIZ_METRICS_ACCESS)');
    return metricsRegistry.metrics();
  }

  private allowed(req: Request): boolean {
    const c = this.config;
    if (c.WIZ_METRICS_ACCESS === 'public') return true;
    if (c.WIZ_METRICS_ACCESS === 'token')
      return c.WIZ_METRICS_TOKEN !== '' && req.headers.authorization === `Bearer ${c.WIZ_METRICS_TOKEN}`;
    return LOOPBACK.test(req.socket.remoteAddress ?? '');
  }
}
