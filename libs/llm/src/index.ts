export * from './llm.service';
export * from './llm.module';
export * from './llm-errors';
export * from './llm.tokens';
export * from './secret-box';
export * from './deadline';
export * from './model-text';
