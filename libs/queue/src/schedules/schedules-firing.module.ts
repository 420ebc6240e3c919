import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '../queue.module';
import { ScheduleFiringWorker } from './schedule-firing.worker';

// The firing loop, run by runtimes only (gateways stay stateless). Any number of runtimes may
// import it: each tick still fires once (see ScheduleFiringWorker).
@Module({
  imports: [PersistenceModule, QueueModule],
  providers: [ScheduleFiringWorker],
  exports: [ScheduleFiringWorker],
})
export class SchedulesFiringModule {}
