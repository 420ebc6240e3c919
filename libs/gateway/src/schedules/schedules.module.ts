import { Module } from '@nestjs/common';
import { QueueModule } from '@wiz/queue';
import { SchedulesController } from './schedules.controller';

// Schedules (cron, planned): CRUD; the runtime fires them.
@Module({ imports: [QueueModule], controllers: [SchedulesController] })
export class SchedulesModule {}
