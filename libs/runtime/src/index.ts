export { RuntimeAppModule, RuntimeModule, attachRuntime } from './runtime.module';
