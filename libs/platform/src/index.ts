export * from './platform.module';
export * from './create-app';
export * from './http-exception.filter';
export * from './health.controller';
export * from './zod.pipe';
export * from './owner.decorator';
export * from './body-guard';
