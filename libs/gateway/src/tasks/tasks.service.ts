import { Injectable } from '@nestjs/common';
import {
  CreateJobSchema,
  CreateScheduleSchema,
  CreateTask,
  isUuid,
  notFound,
  PageOf,
  parseOrThrow,
  Task,
  TaskListQuery,
  WizError,
} from '@wiz/contracts';
import { JobsService, SchedulesService } from '@wiz/queue';
import { taskOfJob, taskOfSchedule } from './task.mapper';

// Tasks mapped onto our resources: ad hoc and planned → a job, cron → a schedule. Each is
// validated by the contract of what it becomes, so errors name the same fields.
@Injectable()
export class TasksService {
  constructor(
    private readonly jobs: JobsService,
    private readonly schedules: SchedulesService,
  ) {}

  async create(ownerId: string, body: CreateTask): Promise<Task> {
    const { cron, timezone, name, runAt, ...template } = body;
    if (cron !== undefined) {
      const spec = parseOrThrow(CreateScheduleSchema, { cron, timezone, name, template }, 'task');
      return taskOfSchedule(await this.schedules.create(ownerId, spec));
    }
    const job = parseOrThrow(CreateJobSchema, { ...template, ...(runAt ? { runAt } : {}) }, 'task');
    return taskOfJob(await this.jobs.submit(ownerId, job));
  }

  async list(ownerId: string, q: TaskListQuery): Promise<PageOf<Task>> {
    const page = { limit: q.limit, offset: q.offset };
    if (q.type === 'schedule') {
      const s = await this.schedules.list(ownerId, page);
      return { ...s, items: s.items.map(taskOfSchedule) };
    }
    const j = await this.jobs.list(ownerId, { ...page });
    return { ...j, items: j.items.map(taskOfJob) };
  }

  /** A task by id: the job, else the schedule, of that id. */
  async get(ownerId: string, id: string): Promise<Task> {
    if (!isUuid(id)) throw notFound('task', id);
    const job = await this.jobs.get(ownerId, id).catch(notFoundAsNull);
    if (job) return taskOfJob(job);
    const schedule = await this.schedules.get(ownerId, id).catch(notFoundAsNull);
    if (schedule) return taskOfSchedule(schedule);
    throw notFound('task', id);
  }
}

const notFoundAsNull = (e: unknown): null => {
  if (e instanceof WizError && e.code === 'not_found') return null;
  throw e;
};
