import { CreateScheduleSchema, PageQuerySchema, pageSchemaOf, ScheduleSchema } from '@wiz/contracts';
import type { ApiRoute } from './api-route';

export const SCHEDULES_ROUTES: ApiRoute[] = [
  {
    method: 'post',
    path: '/api/v1/schedules',
    summary: 'create a cron schedule',
    tag: 'schedules',
    body: CreateScheduleSchema,
    status: 201,
    response: ScheduleSchema,
  },
  {
    method: 'get',
    path: '/api/v1/schedules',
    summary: 'list schedules',
    tag: 'schedules',
    query: PageQuerySchema,
    status: 200,
    response: pageSchemaOf(ScheduleSchema),
  },
  {
    method: 'get',
    path: '/api/v1/schedules/:id',
    summary: 'get a schedule',
    tag: 'schedules',
    status: 200,
    response: ScheduleSchema,
  },
  { method: 'delete', path: '/api/v1/schedules/:id', summary: 'delete a schedule', tag: 'schedules', status: 204 },
];
