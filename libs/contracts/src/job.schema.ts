import { z } from 'zod';

// The whole status model is declared now so that the job entity and events already fit the
// queue (issue 3); the foundation uses queued → active → completed | failed.
export const JOB_STATUSES = [
  'waiting',
  'queued',
  'delayed',
  'active',
  'waiting-children',
  'completed',
  'failed',
  'cancelled',
] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatusSchema>;
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];
export const isTerminal = (s: JobStatus): boolean => TERMINAL_JOB_STATUSES.includes(s);

export const CreateJobSchema = z.strictObject({
  agentId: z.uuid(),
  input: z.string().min(1).max(200_000),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type CreateJob = z.infer<typeof CreateJobSchema>;

export const JobResultSchema = z.object({
  text: z.string(),
  model: z.string(),
  finishReason: z.string(),
  usage: z.object({
    inputTokens: z.number().optional(),
    outputTokens: z.number().optional(),
    totalTokens: z.number().optional(),
  }),
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
  progress: z.int().min(0).max(100),
  result: JobResultSchema.nullable(),
  failureReason: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
});
export type Job = z.infer<typeof JobSchema>;
