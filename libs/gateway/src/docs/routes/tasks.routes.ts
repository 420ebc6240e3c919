import { CreateTaskSchema, pageSchemaOf, TaskListQuerySchema, TaskSchema } from '@wiz/contracts';
import type { ApiRoute } from './api-route';

export const TASKS_ROUTES: ApiRoute[] = [
  {
    method: 'post',
    path: '/api/v1/tasks',
    summary: 'an ad hoc, planned (runAt) or cron task: a job or a schedule',
    tag: 'tasks',
    body: CreateTaskSchema,
    status: 201,
    response: TaskSchema,
  },
  {
    method: 'get',
    path: '/api/v1/tasks',
    summary: 'list tasks of one type (job or schedule)',
    tag: 'tasks',
    query: TaskListQuerySchema,
    status: 200,
    response: pageSchemaOf(TaskSchema),
  },
  { method: 'get', path: '/api/v1/tasks/:id', summary: 'get a task', tag: 'tasks', status: 200, response: TaskSchema },
];
