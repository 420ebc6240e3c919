import { Module } from '@nestjs/common';
import { QueueModule } from '@wiz/queue';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';

// Tasks: ad hoc, delayed, planned or cron work for an agent (a job or a schedule).
@Module({ imports: [QueueModule], controllers: [TasksController], providers: [TasksService] })
export class TasksModule {}
