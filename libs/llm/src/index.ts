export * from './llm.service';
export * from './llm.module';
export * from './llm-errors';
