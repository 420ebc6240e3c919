import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { ConfigModule, WizConfig } from '@wiz/config';
import { BusModule } from '@wiz/bus';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '@wiz/queue';
import { HealthController } from './health.controller';

// What every Wiz process stands on: configuration, structured logs, the store, the bus and the
// outbox. Apps add their features (gateway, runtime) on top.
@Module({})
export class PlatformModule {
  static forRoot(config: WizConfig, clientName: string): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.LOG_LEVEL,
            name: clientName,
            // Secrets never reach the logs (DESIGN.md invariant 6).
            redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'],
            autoLogging: { ignore: (req) => req.url === '/health' },
          },
        }),
        PersistenceModule,
        BusModule.forRoot(clientName),
        QueueModule,
      ],
      controllers: [HealthController],
    };
  }
}
