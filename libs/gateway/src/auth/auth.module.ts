import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { WindowCounters } from '@wiz/bus';
import { rateLimitPerMin, WIZ_CONFIG, WizConfig } from '@wiz/config';
import { PersistenceModule } from '@wiz/persistence';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';
import { KeysController } from './keys.controller';
import { RateLimitGuard } from './rate-limit.guard';
import { ClusterThrottlerStorage } from '../limits/cluster-throttler.storage';
import { LimitsModule } from '../limits/limits.module';

// API keys, the guard that turns a key into an owner on every route, and the per-key rate
// limit (off on loopback with authentication off, unless configured: see rateLimitPerMin),
// counted across every gateway (LimitsModule's shared counters).
// Guards run in the order they are provided: authenticate, then count.
@Module({
  imports: [
    PersistenceModule,
    LimitsModule,
    ThrottlerModule.forRootAsync({
      imports: [LimitsModule],
      inject: [WIZ_CONFIG, WindowCounters],
      useFactory: (c: WizConfig, counters: WindowCounters) => {
        const limit = rateLimitPerMin(c);
        return {
          throttlers: [{ ttl: 60_000, limit: Math.max(1, limit) }],
          skipIf: () => limit === 0,
          storage: new ClusterThrottlerStorage(counters),
          errorMessage: `rate limit exceeded: ${limit} requests per minute per API key`,
        };
      },
    }),
  ],
  controllers: [KeysController],
  providers: [
    ApiKeysService,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
  exports: [ApiKeysService],
})
export class AuthModule {}
