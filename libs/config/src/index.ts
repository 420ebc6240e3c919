export { ConfigModule, WIZ_CONFIG, loadConfig } from './config.module';
export { authEnabled, parseConfig, rateLimitPerMin, trustProxyOf, urlPolicyOf } from './config.schema';
export type { WizConfig } from './config.schema';
export { CliEnvSchema, loadCliEnv } from './cli-env';
export type { CliEnv } from './cli-env';
