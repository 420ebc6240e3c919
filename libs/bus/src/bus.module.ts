import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { busNames } from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { BusService } from './bus.service';
import { LIVE_INTEREST_HEARTBEAT_MS, LiveInterest } from './live-interest';
import { connectNats, retrying } from './nats-connect';
import { BusTopology, provision } from './provision';

export const topologyOf = (c: WizConfig): BusTopology => ({
  partitions: c.WIZ_MAILBOX_PARTITIONS,
  ackWaitMs: c.WIZ_JOB_ACK_WAIT_MS,
  maxDeliver: c.WIZ_JOB_MAX_DELIVER,
  maxAckPending: c.WIZ_MAILBOX_MAX_ACK_PENDING,
  eventsMaxAgeMs: c.WIZ_EVENTS_MAX_AGE_HOURS * 3_600_000,
  replicas: c.WIZ_JETSTREAM_REPLICAS,
});

// Global on purpose: forRoot holds this process's values (the parsed configuration; the
// connection, named after the process), which feature modules could not re-import without
// them; every module uses it.
@Global()
@Module({})
export class BusModule {
  // Connects, then provisions streams and consumers before anything else starts.
  static forRoot(clientName: string): DynamicModule {
    return {
      module: BusModule,
      providers: [
        {
          provide: BusService,
          inject: [WIZ_CONFIG],
          useFactory: async (c: WizConfig) => {
            const log = new Logger('Bus');
            // Nest buffers log lines until the app is created: waiting lines must show while waiting.
            const waiting = (m: string) => process.stderr.write(`${new Date().toISOString()} WARN [Bus] ${m}\n`);
            const { nc, child } = await connectNats({
              url: c.NATS_URL,
              name: clientName,
              autostart: c.WIZ_NATS_AUTOSTART,
              dataDir: c.WIZ_DATA_DIR,
              searchPath: c.PATH,
              log: waiting,
            });
            const names = busNames(c.WIZ_BUS_PREFIX);
            // JetStream may be unavailable a while after NATS answers (a cluster electing its
            // meta leader, a node missing): wait for the streams rather than exit.
            const jsm = await retrying(
              async () => {
                const m = await nc.jetstreamManager();
                await provision(m, names, topologyOf(c));
                return m;
              },
              (n, ms, e) => `streams not ready (${e instanceof Error ? e.message : String(e)}); retry ${n} in ${ms} ms`,
              waiting,
            );
            log.log(
              `connected to ${nc.getServer()}, streams ${names.streams.mailbox} and ${names.streams.events} ready`,
            );
            return new BusService(nc, jsm, names, child);
          },
        },
        {
          provide: LiveInterest,
          inject: [BusService, WIZ_CONFIG],
          useFactory: (bus: BusService, c: WizConfig) =>
            new LiveInterest(bus, {
              mode: c.WIZ_LIVE_TOKENS,
              replicas: c.WIZ_JETSTREAM_REPLICAS,
              heartbeatMs: LIVE_INTEREST_HEARTBEAT_MS,
            }),
        },
      ],
      exports: [BusService, LiveInterest],
    };
  }
}
