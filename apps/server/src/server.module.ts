import { DynamicModule, Module } from '@nestjs/common';
import { WizConfig } from '@wiz/config';
import { PlatformModule } from '@wiz/platform';
import { GatewayModule } from '@wiz/gateway';
import { RuntimeModule } from '@wiz/runtime';

// The embedded default: gateway and runtime in one process, sharing one NATS connection and store.
@Module({})
export class ServerAppModule {
  static forRoot(config: WizConfig): DynamicModule {
    return {
      module: ServerAppModule,
      imports: [PlatformModule.forRoot(config, 'wiz-server'), GatewayModule, RuntimeModule],
    };
  }
}
