import { Module } from '@nestjs/common';
import { SchedulesController } from './schedules.controller';

// Schedules (cron, planned): CRUD; the runtime fires them.
@Module({ controllers: [SchedulesController] })
export class SchedulesModule {}
