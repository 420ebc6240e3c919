import { Module } from '@nestjs/common';
import { ScheduleFiringWorker } from './schedule-firing.worker';

// The firing loop, run by runtimes only (gateways stay stateless). Any number of runtimes may
// import it: each tick still fires once (see ScheduleFiringWorker).
@Module({ providers: [ScheduleFiringWorker], exports: [ScheduleFiringWorker] })
export class SchedulesFiringModule {}
