import { DynamicModule, Module } from '@nestjs/common';
import { WizConfig } from '@wiz/config';
import { PlatformModule } from '@wiz/platform';
import { GatewayModule } from '../../gateway/src/gateway.module';
import { RuntimeModule } from '../../runtime/src/runtime.module';

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
