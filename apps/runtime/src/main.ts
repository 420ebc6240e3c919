import 'reflect-metadata';
import { loadConfig } from '@wiz/config';
import { announce, createApp, runMain } from '@wiz/platform';
import { attachRuntime, RuntimeAppModule } from '@wiz/runtime';

// The runtime alone: agent actors and /health. Scale it out with replicas.
async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(RuntimeAppModule.forRoot(config));
  attachRuntime(app, config);
  await app.startAllMicroservices();
  await app.listen(config.PORT, config.HOST);
  announce('Wiz runtime', config);
}

runMain(main);
