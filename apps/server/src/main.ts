import 'reflect-metadata';
import { loadConfig } from '@wiz/config';
import { announce, createApp, runMain } from '@wiz/platform';
import { attachGateway } from '@wiz/gateway';
import { attachRuntime } from '@wiz/runtime';
import { ServerAppModule } from './server.module';

// `npm start`: the whole of Wiz in one process.
async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(ServerAppModule.forRoot(config));
  attachGateway(app);
  attachRuntime(app, config);
  await app.startAllMicroservices();
  await app.listen(config.PORT, config.HOST);
  announce('Wiz (gateway + runtime)', config);
}

runMain(main);
