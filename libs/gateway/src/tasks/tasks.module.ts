import { Module } from '@nestjs/common';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';

// Tasks: ad hoc, delayed, planned or cron work for an agent (a job or a schedule).
@Module({ controllers: [TasksController], providers: [TasksService] })
export class TasksModule {}
