export { ConfigModule, WIZ_CONFIG, loadConfig } from './config.module';
export { authEnabled, parseConfig, urlPolicyOf } from './config.schema';
export type { WizConfig } from './config.schema';
