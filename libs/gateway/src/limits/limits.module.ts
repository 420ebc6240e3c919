import { Module } from '@nestjs/common';
import { BusService, WindowCounters } from '@wiz/bus';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { AuthFailures } from './auth-failures.service';

/** The longest window counted (a minute: rate limit and failed authentications). */
export const MAX_WINDOW_MS = 60_000;

// Counters every gateway shares (NATS KV): the per-key rate limit and failed authentications
// per client address hold across replicas.
@Module({
  providers: [
    {
      provide: WindowCounters,
      inject: [BusService, WIZ_CONFIG],
      useFactory: (bus: BusService, c: WizConfig) =>
        new WindowCounters(bus, {
          bucket: bus.names.kvBucket('limits'),
          replicas: c.WIZ_JETSTREAM_REPLICAS,
          maxWindowMs: MAX_WINDOW_MS,
        }),
    },
    AuthFailures,
  ],
  exports: [WindowCounters, AuthFailures],
})
export class LimitsModule {}
