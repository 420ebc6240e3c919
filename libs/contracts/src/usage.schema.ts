import { z } from 'zod';

export const UsageQuerySchema = z.object({
  groupBy: z.enum(['agent', 'model', 'day']).default('day'),
  from: z.iso.datetime({ offset: true }).optional().describe('start (inclusive); default: 30 days before `to`'),
  to: z.iso.datetime({ offset: true }).optional().describe('end (exclusive); default: now'),
});
export type UsageQuery = z.infer<typeof UsageQuerySchema>;

export const UsageGroupSchema = z.object({
  key: z.string().describe('agent id, model id, or UTC day (YYYY-MM-DD)'),
  calls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number(),
});
export const UsageReportSchema = z.object({
  groupBy: z.enum(['agent', 'model', 'day']),
  from: z.string(),
  to: z.string(),
  groups: z.array(UsageGroupSchema),
});
export type UsageReport = z.infer<typeof UsageReportSchema>;

/** A job's own usage, its delegated children's included. */
export const JobUsageSchema = z.object({
  calls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number(),
});
export type JobUsage = z.infer<typeof JobUsageSchema>;

export const BudgetSchema = z
  .object({
    agentId: z.string().min(1).max(36).optional().describe("one agent; absent: all of the owner's agents"),
    period: z.enum(['day', 'month']).describe('calendar period, UTC'),
    maxTokens: z.number().int().positive().nullable().optional(),
    maxCostUsd: z.number().positive().nullable().optional(),
  })
  .strict()
  .refine((b) => b.maxTokens != null || b.maxCostUsd != null, 'set maxTokens, maxCostUsd or both');
export type Budget = z.infer<typeof BudgetSchema>;

export const BudgetListSchema = z.object({ budgets: z.array(BudgetSchema).max(100) }).strict();
export type BudgetList = z.infer<typeof BudgetListSchema>;
