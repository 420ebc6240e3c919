import { z } from 'zod';

// A command in an agent's mailbox. The job row is the truth; the command only says "run it".
export const RunJobCommandSchema = z.object({
  kind: z.literal('job.run'),
  jobId: z.uuid(),
  agentId: z.uuid(),
  ownerId: z.string().min(1).max(100),
  traceId: z.string().min(1),
  /** Higher runs first among the agent's queued jobs. */
  priority: z.int().default(0),
  /**
   * The agent may have more queued jobs than commands in flight (they were resent after their
   * commands were lost): its actor fetches them from the store once its inbox is empty.
   */
  backlog: z.boolean().optional(),
});
export type RunJobCommand = z.infer<typeof RunJobCommandSchema>;

export const MailboxCommandSchema = z.discriminatedUnion('kind', [RunJobCommandSchema]);
export type MailboxCommand = z.infer<typeof MailboxCommandSchema>;

// Core NATS (at most once) broadcast to every runtime: abort a running job. The store is the
// truth (the job is already `cancelled` there), so a lost message only delays the abort until
// the job's next transition, which its revision check then refuses.
export const CancelJobSignalSchema = z.object({ jobId: z.uuid(), agentId: z.uuid(), reason: z.string() });
export type CancelJobSignal = z.infer<typeof CancelJobSignalSchema>;
