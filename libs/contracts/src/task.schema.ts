import { z } from 'zod';
import { PageQuerySchema } from './page.schema';
import { JobTemplateSchema, JobResultSchema } from './job.schema';
import { ScheduleTemplateSchema } from './schedule.schema';

// Tasks are the product documents' word for "something an agent should do": ad hoc (now),
// planned (at `runAt`) or cron (`cron` in `timezone`). They are a view over our resources:
// ad hoc and planned tasks are jobs, cron tasks are schedules. The task's id is the job's or
// the schedule's id.
export const CreateTaskSchema = ScheduleTemplateSchema.extend({
  /** Planned: run no earlier than this instant. */
  runAt: z.iso.datetime({ offset: true }).optional(),
  /** Cron: fire a job at every tick (see schedules). */
  cron: z.string().min(1).max(200).optional(),
  timezone: z.string().max(100).optional(),
  name: z.string().min(1).max(200).optional(),
})
  .refine((v) => v.runAt === undefined || v.cron === undefined, {
    message: 'give either runAt or cron, not both',
    path: ['cron'],
  })
  .refine((v) => v.cron !== undefined || (v.timezone === undefined && v.name === undefined), {
    message: 'timezone and name belong to cron tasks',
    path: ['timezone'],
  });
export type CreateTask = z.infer<typeof CreateTaskSchema>;

export const TASK_TYPES = ['job', 'schedule'] as const;

export const TaskSchema = z.object({
  id: z.uuid(),
  /** `job`: an ad hoc or planned task; `schedule`: a cron task. */
  type: z.enum(TASK_TYPES),
  agentId: z.uuid(),
  input: z.string(),
  /** A job's status; a schedule is `scheduled` or `disabled`. */
  status: z.string(),
  runAt: z.iso.datetime().nullable(),
  cron: z.string().nullable(),
  timezone: z.string().nullable(),
  nextRunAt: z.iso.datetime().nullable(),
  lastRunAt: z.iso.datetime().nullable(),
  result: JobResultSchema.nullable(),
  failureReason: z.string().nullable(),
  createdAt: z.iso.datetime(),
});
export type Task = z.infer<typeof TaskSchema>;

export const TaskListQuerySchema = z.strictObject({
  type: z.enum(TASK_TYPES).default('job'),
  ...PageQuerySchema.shape,
});
export type TaskListQuery = z.infer<typeof TaskListQuerySchema>;

// `POST /api/v1/agents/:id/execute`: a job body without the agent, and how long to wait.
export const ExecuteSchema = JobTemplateSchema.omit({ agentId: true }).extend({
  /** How long to wait for the job to end before answering 202 (default WIZ_EXECUTE_TIMEOUT_MS). */
  waitMs: z.int().min(0).max(600_000).optional(),
});
export type Execute = z.infer<typeof ExecuteSchema>;
