export { announce, createApp, runMain } from './create-app';
export { Auth, IS_PUBLIC, LOCAL_OWNER, Owner, Public } from './owner.decorator';
export type { AuthContext } from './owner.decorator';
export { PlatformModule } from './platform.module';
export { ZodPipe } from './zod.pipe';
export { ReadinessChecks } from './health/readiness-checks';
export type { CheckResult, ReadinessCheck } from './health/readiness-checks';
export { IdPipe } from './id.pipe';
export { endWithError } from './client-error';
