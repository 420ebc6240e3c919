export { RuntimeModule, RuntimeAppModule, attachRuntime } from './runtime.module';
