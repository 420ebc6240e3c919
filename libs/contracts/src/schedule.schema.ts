import { Cron } from 'croner';
import { z } from 'zod';
import { JobTemplateSchema } from './job.schema';
import { MISSED_RUN_POLICIES } from './vocabulary';

/** Why `expr` is not a usable cron expression (5 fields, 6 with seconds, 7 with years, or @daily…), or null. */
export function cronProblem(expr: string): string | null {
  try {
    const next = new Cron(expr, { paused: true, timezone: 'UTC' }).nextRun();
    return next ? null : `cron expression "${expr}" never fires`;
  } catch (e) {
    return `invalid cron expression "${expr}": ${(e as Error).message.replace(/^CronPattern: /, '')}`;
  }
}

/** True for an IANA time zone the runtime knows (Intl, which croner uses too). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

// A job body without the fields that make no sense repeated: each tick's job runs at once, and
// its idempotency key is the schedule's (`schedule:<id>:<tick>`).
export const ScheduleTemplateSchema = JobTemplateSchema.omit({ idempotencyKey: true, delay: true, runAt: true });
export type ScheduleTemplate = z.infer<typeof ScheduleTemplateSchema>;

export const MissedRunPolicySchema = z.enum(MISSED_RUN_POLICIES);

export const CreateScheduleSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  cron: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .superRefine((v, ctx) => {
      const problem = cronProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  timezone: z
    .string()
    .max(100)
    .refine(isTimeZone, {
      error: (i) => `unknown time zone "${String(i.input)}": use an IANA name such as "Europe/Berlin" or "UTC"`,
    })
    .default('UTC'),
  template: ScheduleTemplateSchema,
  /** What to do with ticks missed while no runtime was up (see docs/api.md, Schedules). */
  missedRunPolicy: MissedRunPolicySchema.default('skip'),
  enabled: z.boolean().default(true),
});
export type CreateSchedule = z.input<typeof CreateScheduleSchema>;
export type CreateScheduleParsed = z.infer<typeof CreateScheduleSchema>;

export const ScheduleSchema = z.object({
  id: z.uuid(),
  name: z.string().nullable(),
  cron: z.string(),
  timezone: z.string(),
  template: ScheduleTemplateSchema,
  missedRunPolicy: MissedRunPolicySchema,
  enabled: z.boolean(),
  /** The next tick to fire; null when the schedule is disabled or never fires again. */
  nextRunAt: z.iso.datetime().nullable(),
  /** The latest tick that fired. */
  lastRunAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Schedule = z.infer<typeof ScheduleSchema>;
