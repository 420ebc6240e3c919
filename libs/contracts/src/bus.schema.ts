import { z } from 'zod';

// A command in an agent's mailbox. The job row is the truth; the command only says "run it".
export const RunJobCommandSchema = z.object({
  kind: z.literal('job.run'),
  jobId: z.uuid(),
  agentId: z.uuid(),
  ownerId: z.string().min(1).max(100),
  traceId: z.string().min(1),
});
export type RunJobCommand = z.infer<typeof RunJobCommandSchema>;

export const MailboxCommandSchema = z.discriminatedUnion('kind', [RunJobCommandSchema]);
export type MailboxCommand = z.infer<typeof MailboxCommandSchema>;
