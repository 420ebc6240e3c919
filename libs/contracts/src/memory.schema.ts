import { z } from 'zod';
import { AdjustBehaviorSchema } from './agent.schema';

// An agent's memory items (the memory_save / memory_query tools, and the REST API).
export const MemoryMetadataSchema = z.record(
  z.string().min(1).max(100),
  z.union([z.string().max(1_000), z.number(), z.boolean()]),
);
export type MemoryMetadata = z.infer<typeof MemoryMetadataSchema>;

export const MemoryItemSchema = z.object({
  id: z.uuid(),
  text: z.string(),
  metadata: MemoryMetadataSchema,
  createdAt: z.iso.datetime(),
  /** Cosine similarity to the query (by meaning only). */
  score: z.number().optional(),
});
export type MemoryItem = z.infer<typeof MemoryItemSchema>;

// POST /api/v1/memory/save
export const SaveMemorySchema = z.strictObject({
  agentId: z.uuid(),
  text: z.string().trim().min(1).max(20_000),
  metadata: MemoryMetadataSchema.optional(),
});
export type SaveMemory = z.infer<typeof SaveMemorySchema>;

// GET /api/v1/memory/query?agentId=&query=&filter=<JSON object>&limit=
export const MemoryQuerySchema = z.strictObject({
  agentId: z.uuid(),
  query: z.string().trim().min(1).max(5_000).optional(),
  filter: z
    .string()
    .max(5_000)
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'filter must be a JSON object, e.g. {"topic":"billing"}' });
        return z.NEVER;
      }
    })
    .pipe(MemoryMetadataSchema)
    .optional(),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});
export type MemoryQuery = z.infer<typeof MemoryQuerySchema>;

// POST /api/v1/behavior/adjust: POST /agents/:id/behavior with the agent in the body.
export const AdjustBehaviorOfSchema = AdjustBehaviorSchema.extend({ agentId: z.uuid() });
export type AdjustBehaviorOf = z.infer<typeof AdjustBehaviorOfSchema>;
