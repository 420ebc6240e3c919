import 'reflect-metadata';
import { loadConfig } from '@wiz/config';
import { announce, createApp, runMain } from '@wiz/platform';
import { attachGateway, GatewayAppModule } from '@wiz/gateway';

// The gateway alone: REST /api/v1, WebSocket /ws and /health. Stateless: scale it with replicas.
async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(GatewayAppModule.forRoot(config));
  attachGateway(app);
  await app.listen(config.PORT, config.HOST);
  announce('Wiz gateway', config);
}

runMain(main);
