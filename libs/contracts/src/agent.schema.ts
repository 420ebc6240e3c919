import { DoubleTextingSchema } from './conversation.schema';
import { z } from 'zod';
import { ApprovalPoliciesSchema } from './human-input.schema';
import { checkToolNames } from './tool-names';

export const AGENT_STATUSES = ['active', 'busy', 'inactive'] as const;
export const AgentStatusSchema = z.enum(AGENT_STATUSES);
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

export const ModelConfigSchema = z.strictObject({
  /** A provider id (POST /api/v1/providers); absent: the default endpoint from the configuration. */
  provider: z.uuid().optional(),
  model: z.string().trim().min(1).max(200).optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.int().min(1).max(1_000_000).optional(),
});
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

const text = (max: number) => z.string().trim().min(1).max(max);

// Budgets of one job and whether the agent plans; each unset field takes its default (WIZ_AGENT_*).
export const LoopSettingsSchema = z.strictObject({
  /** Plan (criteria + steps) and self-validate; off: one act phase, no validation. */
  planning: z.boolean().optional(),
  maxSteps: z.int().min(1).max(1_000).optional(),
  maxTokens: z.int().min(100).max(100_000_000).optional(),
  maxWallMs: z
    .int()
    .min(1_000)
    .max(24 * 3_600_000)
    .optional(),
  maxIterations: z.int().min(1).max(20).optional(),
});
export type LoopSettings = z.infer<typeof LoopSettingsSchema>;

export const BehaviorRuleSchema = text(1_000);
// POST /agents/:id/behavior: rules merged into the profile (deduplicated), or replacing it.
export const AdjustBehaviorSchema = z.strictObject({
  rules: z.array(BehaviorRuleSchema).min(1).max(50),
  remove: z.array(BehaviorRuleSchema).max(50).optional(),
  replace: z.boolean().optional(),
});
export type AdjustBehavior = z.infer<typeof AdjustBehaviorSchema>;
export const MAX_BEHAVIOR_RULES = 100;

// A tool name, or a glob over names (`*` matches any run of characters): `github__*` allows every
// tool of the MCP server `github`.
const toolName = z
  .string()
  .regex(/^[A-Za-z*][A-Za-z0-9_*-]{0,99}$/, 'a tool name or a glob such as github__* (letters, digits, _, -, *)');
/**
 * The tools an agent may use; absent or null: the default set (every built-in tool but the opt-in
 * ones, and no MCP tool).
 */
export const ToolAllowListSchema = z
  .array(toolName)
  .max(100)
  .superRefine((names, ctx) => checkToolNames(names, ctx, (_n, i) => [i]));
/** Agents (ids or names) this agent may delegate to or message; absent or null: any agent of its owner. */
export const DelegatesSchema = z.array(z.string().trim().min(1).max(200)).max(200);

export const CreateAgentSchema = z.strictObject({
  name: text(200),
  role: text(2_000),
  backstory: text(20_000).optional(),
  goal: text(20_000).optional(),
  systemPrompt: text(50_000).optional(),
  model: ModelConfigSchema.optional(),
  loop: LoopSettingsSchema.optional(),
  behaviorRules: z.array(BehaviorRuleSchema).max(MAX_BEHAVIOR_RULES).optional(),
  tools: ToolAllowListSchema.nullable().optional(),
  delegates: DelegatesSchema.nullable().optional(),
  /** Tool approval policies: tool name or glob → `never` | `always` | { when, timeoutSec, onTimeout }. */
  approvals: ApprovalPoliciesSchema.nullable().optional(),
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
    loop: LoopSettingsSchema,
    status: z.enum(['active', 'inactive']),
    tools: ToolAllowListSchema.nullable(),
    delegates: DelegatesSchema.nullable(),
    approvals: ApprovalPoliciesSchema.nullable(),
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
  loop: LoopSettingsSchema,
  behaviorRules: z.array(z.string()),
  /** Increases with every behavior change; a job uses the version current when it starts. */
  behaviorVersion: z.int(),
  /** Allowed tools; null: the default set. */
  tools: z.array(z.string()).nullable(),
  /** Allowed delegates (ids or names); null: any agent of the owner. */
  delegates: z.array(z.string()).nullable(),
  /** Tool approval policies; null: the owner's default only. */
  approvals: ApprovalPoliciesSchema.nullable(),
  status: AgentStatusSchema,
  /** A paused agent keeps its queue but starts no job. */
  paused: z.boolean(),
  doubleTexting: DoubleTextingSchema,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Agent = z.infer<typeof AgentSchema>;
