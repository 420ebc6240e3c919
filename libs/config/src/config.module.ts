import { Global, Module } from '@nestjs/common';
import { parseConfig, WizConfig } from './config.schema';

export const WIZ_CONFIG = Symbol('WIZ_CONFIG');

// The only place that reads process.env (STYLE.md rule 5).
export function loadConfig(overrides: Partial<Record<keyof WizConfig, string>> = {}): WizConfig {
  return parseConfig({ ...process.env, ...overrides });
}

// Global on purpose: forRoot holds this process's values (the parsed configuration; the
// connection, named after the process), which feature modules could not re-import without
// them; every module uses it.
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: WizConfig) {
    return {
      module: ConfigModule,
      providers: [{ provide: WIZ_CONFIG, useValue: Object.freeze({ ...config }) }],
      exports: [WIZ_CONFIG],
    };
  }
}
