import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { CreateTask, CreateTaskSchema, PageOf, Task, TaskListQuery, TaskListQuerySchema } from '@wiz/contracts';
import { Owner, ZodPipe } from '@wiz/platform';
import { TasksService } from './tasks.service';

@Controller('api/v1/tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Post()
  create(@Owner() owner: string, @Body(new ZodPipe(CreateTaskSchema)) body: CreateTask): Promise<Task> {
    return this.tasks.create(owner, body);
  }

  @Get()
  list(
    @Owner() owner: string,
    @Query(new ZodPipe(TaskListQuerySchema, 'query')) q: TaskListQuery,
  ): Promise<PageOf<Task>> {
    return this.tasks.list(owner, q);
  }

  @Get(':id')
  get(@Owner() owner: string, @Param('id') id: string): Promise<Task> {
    return this.tasks.get(owner, id);
  }
}
