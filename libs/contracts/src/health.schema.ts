import { z } from 'zod';

const CheckSchema = z.object({ ok: z.boolean(), detail: z.string() });
export type HealthCheck = z.infer<typeof CheckSchema>;

/**
 * `GET /health`: 200 when every readiness check passes (NATS, the database, the streams, the outbox
 * publishing, and on a runtime its mailbox leases), 503 otherwise; one `{ ok, detail }` per check.
 */
export const HealthSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  nats: CheckSchema,
  database: CheckSchema,
  streams: CheckSchema,
  outbox: CheckSchema,
  /** On a runtime: the partition-lease bucket answered, and the partitions this runtime holds. */
  leases: CheckSchema.optional(),
});
export type Health = z.infer<typeof HealthSchema>;
