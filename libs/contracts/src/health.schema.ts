import { z } from 'zod';

const CheckSchema = z.object({ ok: z.boolean(), detail: z.string() });
export type HealthCheck = z.infer<typeof CheckSchema>;

/** `GET /health`: 200 when NATS and the database answer and the outbox is publishing, 503 otherwise. */
export const HealthSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  nats: CheckSchema,
  database: CheckSchema,
  outbox: CheckSchema,
});
export type Health = z.infer<typeof HealthSchema>;
