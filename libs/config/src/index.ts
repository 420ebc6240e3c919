export { ConfigModule, WIZ_CONFIG, loadConfig } from './config.module';
export { authEnabled, parseConfig, rateLimitPerMin } from './config.schema';
export type { WizConfig } from './config.schema';
