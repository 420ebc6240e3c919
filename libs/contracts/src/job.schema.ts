import { z } from 'zod';
import { PageQuerySchema } from './page.schema';
import { JobUsageSchema } from './usage.schema';
import { JOB_STATUSES, JobStatus } from './vocabulary';

export const JobStatusSchema = z.enum(JOB_STATUSES);

export const MAX_DELAY_MS = 366 * 24 * 3_600_000;

export const BackoffSchema = z.strictObject({
  type: z.enum(['fixed', 'exponential']),
  /** Base delay: fixed waits this long; exponential waits delayMs * 2^(retry-1). */
  delayMs: z
    .int()
    .min(0)
    .max(24 * 3_600_000),
  /** 0..1: each wait is shortened by a random fraction up to this much. */
  jitter: z.number().min(0).max(1).default(0),
});
export type Backoff = z.infer<typeof BackoffSchema>;

const JobOptionsShape = {
  input: z.string().min(1).max(200_000),
  data: z.record(z.string(), z.unknown()).optional(),
  /** Higher runs first within an agent's mailbox; default 0. */
  priority: z.int().min(-1_000_000).max(1_000_000).default(0),
  /** Total tries, the first one included (BullMQ's `attempts`). */
  attempts: z.int().min(1).max(100).default(1),
  backoff: BackoffSchema.optional(),
  /** Run no earlier than this many ms from now. */
  delay: z.int().min(0).max(MAX_DELAY_MS).optional(),
  /** Run no earlier than this instant (ISO 8601 with offset). */
  runAt: z.iso.datetime({ offset: true }).optional(),
  timeoutMs: z
    .int()
    .min(100)
    .max(24 * 3_600_000)
    .optional(),
  dependsOn: z.array(z.uuid()).max(100).optional(),
  /** Run even when a dependency failed or was cancelled (default: fail with it). */
  ignoreDependencyFailures: z.boolean().default(false),
  parentJobId: z.uuid().optional(),
  /** A repeated submission with the same key returns the first job. */
  idempotencyKey: z.string().min(1).max(200).optional(),
};

export const JobTemplateSchema = z.strictObject({ agentId: z.uuid(), ...JobOptionsShape });

export const CreateJobSchema = JobTemplateSchema.refine((v) => v.delay === undefined || v.runAt === undefined, {
  message: 'give either delay or runAt, not both',
  path: ['runAt'],
}).refine((v) => v.runAt === undefined || Date.parse(v.runAt) <= Date.now() + MAX_DELAY_MS, {
  message: 'runAt is more than a year ahead',
  path: ['runAt'],
});
export type CreateJob = z.input<typeof CreateJobSchema>;
export type CreateJobParsed = z.infer<typeof CreateJobSchema>;

export const AttemptSchema = z.object({
  attempt: z.int(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  error: z.string().nullable(),
});
export type Attempt = z.infer<typeof AttemptSchema>;

export const JobResultSchema = z.object({
  text: z.string(),
  model: z.string(),
  finishReason: z.string(),
  usage: z.object({
    inputTokens: z.number().optional(),
    outputTokens: z.number().optional(),
    totalTokens: z.number().optional(),
  }),
  /** Model calls of the agent loop (plan, act steps, validation). */
  steps: z.int().optional(),
  /** Act → validate rounds. */
  iterations: z.int().optional(),
});
export type JobResult = z.infer<typeof JobResultSchema>;

export const JobSchema = z.object({
  id: z.uuid(),
  agentId: z.uuid(),
  status: JobStatusSchema,
  input: z.string(),
  data: z.record(z.string(), z.unknown()).nullable(),
  parentJobId: z.uuid().nullable(),
  dependsOn: z.array(z.uuid()),
  priority: z.int(),
  attempts: z.int(),
  maxAttempts: z.int(),
  backoff: BackoffSchema.nullable(),
  runAt: z.iso.datetime().nullable(),
  timeoutMs: z.int().nullable(),
  ignoreDependencyFailures: z.boolean(),
  idempotencyKey: z.string().nullable(),
  /** The conversation whose message created the job; its reply is posted there. */
  conversationId: z.uuid().nullable(),
  attemptLog: z.array(AttemptSchema),
  progress: z.int().min(0).max(100),
  result: JobResultSchema.nullable(),
  failureReason: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  /** GET /jobs/:id only: the job's model usage and cost, its delegated children's included. */
  usage: JobUsageSchema.optional(),
});
export type Job = z.infer<typeof JobSchema>;

export const JobListQuerySchema = z.object({
  status: z
    .string()
    .transform((s) => s.split(','))
    .pipe(z.array(JobStatusSchema))
    .optional(),
  agentId: z.uuid().optional(),
  parentJobId: z.uuid().optional(),
  ...PageQuerySchema.shape,
});
export type JobListQuery = z.infer<typeof JobListQuerySchema>;

export const JobCountsQuerySchema = z.object({ agentId: z.uuid().optional() });
export type JobCounts = Record<JobStatus, number>;

export type JobTemplate = z.infer<typeof JobTemplateSchema>;
