export * from './metrics';
export * from './tracing';
export { GenAi } from './gen-ai';
export { flushTracing, startTracing, stopTracing } from './tracing-sdk';
export type { TracingOptions } from './tracing-sdk';
