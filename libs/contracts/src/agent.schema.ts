import { DoubleTextingSchema } from './conversation.schema';
import { z } from 'zod';

export const AGENT_STATUSES = ['active', 'busy', 'inactive'] as const;
export const AgentStatusSchema = z.enum(AGENT_STATUSES);
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

export const ModelConfigSchema = z.strictObject({
  model: z.string().trim().min(1).max(200).optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.int().min(1).max(1_000_000).optional(),
});
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

const text = (max: number) => z.string().trim().min(1).max(max);

export const CreateAgentSchema = z.strictObject({
  name: text(200),
  role: text(2_000),
  backstory: text(20_000).optional(),
  goal: text(20_000).optional(),
  systemPrompt: text(50_000).optional(),
  model: ModelConfigSchema.optional(),
  /** A person's second message while the agent still answers the first: `queue` (default), `reject` (409) or `interrupt`. */
  doubleTexting: DoubleTextingSchema.optional(),
});
export type CreateAgent = z.infer<typeof CreateAgentSchema>;

// PATCH: every field optional; `null` clears an optional text field.
export const UpdateAgentSchema = z
  .strictObject({
    name: text(200),
    role: text(2_000),
    backstory: text(20_000).nullable(),
    goal: text(20_000).nullable(),
    systemPrompt: text(50_000).nullable(),
    model: ModelConfigSchema,
    status: z.enum(['active', 'inactive']),
    doubleTexting: DoubleTextingSchema,
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, { message: 'at least one field is required' });
export type UpdateAgent = z.infer<typeof UpdateAgentSchema>;

export const AgentSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  role: z.string(),
  backstory: z.string().nullable(),
  goal: z.string().nullable(),
  systemPrompt: z.string().nullable(),
  model: ModelConfigSchema,
  status: AgentStatusSchema,
  /** A paused agent keeps its queue but starts no job. */
  paused: z.boolean(),
  doubleTexting: DoubleTextingSchema,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Agent = z.infer<typeof AgentSchema>;
