import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '../queue.module';
import { ScheduleFiring } from './schedule-firing.service';

// The firing loop, run by runtimes only (gateways stay stateless). Any number of runtimes may
// import it: each tick still fires once (see ScheduleFiring).
@Module({ imports: [PersistenceModule, QueueModule], providers: [ScheduleFiring], exports: [ScheduleFiring] })
export class SchedulesFiringModule {}
