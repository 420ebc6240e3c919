import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { PersistenceModule } from '@wiz/persistence';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';
import { KeysController } from './keys.controller';
import { RateLimitGuard } from './rate-limit.guard';

// API keys, the guard that turns a key into an owner on every route, and the per-key rate
// limit. Guards run in the order they are provided: authenticate, then count.
@Module({
  imports: [
    PersistenceModule,
    ThrottlerModule.forRootAsync({
      inject: [WIZ_CONFIG],
      useFactory: (c: WizConfig) => ({
        throttlers: [{ ttl: 60_000, limit: Math.max(1, c.WIZ_RATE_LIMIT_PER_MIN) }],
        skipIf: () => c.WIZ_RATE_LIMIT_PER_MIN === 0,
        errorMessage: `rate limit exceeded: ${c.WIZ_RATE_LIMIT_PER_MIN} requests per minute per API key`,
      }),
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
