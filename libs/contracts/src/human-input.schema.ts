import { RE2JS } from 're2js';
import { z } from 'zod';
import { checkToolNames } from './tool-names';

// Human in the loop: what a parked `waiting-input` job waits for (a person's approval of a tool
// call, an answer to a question, an outside signal), the approval policies that gate tool calls,
// and the REST bodies that resolve a wait. One wait row per request; the job's ActivityContext
// names the ones it parks on (AwaitedInputSchema).

export const WAIT_KINDS = ['approval', 'question', 'signal'] as const;
export const WaitKindSchema = z.enum(WAIT_KINDS);
export type WaitKind = z.infer<typeof WaitKindSchema>;

/** `cancelled`: its job ended (cancelled or failed) while the wait was pending. */
export const WAIT_STATUSES = [
  'pending',
  'approved',
  'rejected',
  'answered',
  'signalled',
  'expired',
  'cancelled',
] as const;
export const WaitStatusSchema = z.enum(WAIT_STATUSES);
export type WaitStatus = z.infer<typeof WaitStatusSchema>;

const Scalar = z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]);

const compiles = (re: string) => {
  try {
    RE2JS.compile(re);
    return true;
  } catch {
    return false;
  }
};

/** A condition on a tool call's arguments: `path` is a dot path into them (`options.force`). */
export const ArgConditionSchema = z
  .strictObject({
    path: z.string().min(1).max(200),
    op: z.enum(['eq', 'neq', 'in', 'matches', 'gt', 'lt', 'exists']),
    value: z.union([Scalar, z.array(Scalar).max(100)]).optional(),
  })
  .refine((c) => c.op === 'exists' || c.value !== undefined, { message: 'this op needs a value', path: ['value'] })
  .refine((c) => c.op !== 'in' || Array.isArray(c.value), { message: '`in` takes an array', path: ['value'] })
  .refine((c) => c.op !== 'matches' || (typeof c.value === 'string' && c.value.length <= 500), {
    message: '`matches` takes a regular expression (RE2 syntax, at most 500 characters)',
    path: ['value'],
  })
  .refine((c) => c.op !== 'matches' || compiles(c.value as string), {
    message: 'not a valid RE2 regular expression',
    path: ['value'],
  })
  .refine((c) => (c.op !== 'gt' && c.op !== 'lt') || typeof c.value === 'number', {
    message: '`gt` and `lt` take a number',
    path: ['value'],
  });
export type ArgCondition = z.infer<typeof ArgConditionSchema>;

export const MAX_APPROVAL_TIMEOUT_SEC = 30 * 86_400;

/**
 * A tool's approval policy: `never` (the default), `always`, or an object: approval is needed
 * when every condition of `when` holds (no `when`: always), with an optional deadline and what
 * happens at it (`reject` by default).
 */
export const ToolPolicySchema = z.union([
  z.enum(['never', 'always']),
  z.strictObject({
    when: z.array(ArgConditionSchema).min(1).max(20).optional(),
    timeoutSec: z.int().min(1).max(MAX_APPROVAL_TIMEOUT_SEC).optional(),
    onTimeout: z.enum(['reject', 'approve']).optional(),
  }),
]);
export type ToolPolicy = z.infer<typeof ToolPolicySchema>;

/** Tool name or glob (`*`, `?`: `github__*`) → policy. */
export const ApprovalPoliciesSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9_*?.-]{1,128}$/, 'a tool name or glob (letters, digits, _ . - * ?)'),
    ToolPolicySchema,
  )
  .refine((r) => Object.keys(r).length <= 100, { message: 'at most 100 policies' })
  .superRefine((r, ctx) => checkToolNames(Object.keys(r), ctx, (name) => [name]));
export type ApprovalPolicies = z.infer<typeof ApprovalPoliciesSchema>;

/** PUT /api/v1/approvals/policy: the owner's default for its agents (an agent's own entries win). */
export const OwnerApprovalPolicySchema = z.strictObject({ approvals: ApprovalPoliciesSchema });

export const ApprovalDecisionSchema = z.strictObject({
  decision: z.enum(['approve', 'reject', 'edit']),
  /** `edit`: the arguments the tool runs with (validated against the tool's input schema). */
  arguments: z.record(z.string(), z.unknown()).optional(),
  comment: z.string().max(10_000).optional(),
});
export type ApprovalDecision = z.infer<typeof ApprovalDecisionSchema>;

/** Who resolved a wait, when, and how. `by`: the API key's owner (or `timeout`, `conversation:<participant>`). */
export const WaitResolutionSchema = z.object({
  by: z.string(),
  at: z.iso.datetime(),
  decision: z.enum(['approve', 'reject', 'edit', 'answer', 'signal', 'expire', 'cancel']),
  arguments: z.unknown().optional(),
  comment: z.string().optional(),
  answer: z.string().optional(),
  payload: z.unknown().optional(),
});
export type WaitResolution = z.infer<typeof WaitResolutionSchema>;

export const WaitSchema = z.object({
  id: z.uuid(),
  kind: WaitKindSchema,
  status: WaitStatusSchema,
  jobId: z.uuid(),
  agentId: z.uuid(),
  conversationId: z.uuid().nullable(),
  toolCallId: z.string(),
  tool: z.string(),
  arguments: z.unknown(),
  /** approval: why it is gated (the policy entry); question: the question. */
  reason: z.string(),
  choices: z.array(z.string()).nullable(),
  signal: z.string().nullable(),
  deadline: z.iso.datetime().nullable(),
  onTimeout: z.enum(['reject', 'approve']),
  resolution: WaitResolutionSchema.nullable(),
  createdAt: z.iso.datetime(),
  resolvedAt: z.iso.datetime().nullable(),
});
export type Wait = z.infer<typeof WaitSchema>;

export const ApprovalListQuerySchema = z.strictObject({
  status: WaitStatusSchema.optional(),
  jobId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ApprovalListQuery = z.infer<typeof ApprovalListQuerySchema>;

/** POST /api/v1/jobs/:id/input: the answer to the job's pending question (`waitId` when it has several). */
export const JobInputSchema = z.strictObject({
  answer: z.string().min(1).max(50_000),
  waitId: z.uuid().optional(),
});
export type JobInput = z.infer<typeof JobInputSchema>;

/** POST /api/v1/jobs/:id/messages: a person steers the job; the agent reads it at its next model step. */
export const SteerJobSchema = z.strictObject({ text: z.string().trim().min(1).max(20_000) });
export type SteerJob = z.infer<typeof SteerJobSchema>;

export const SignalNameSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'a signal name (letters, digits, _ . -)');

/** A wait the parked job's tool call `toolCallId` is waiting on (its row holds the rest). */
export const AwaitedInputSchema = z.object({
  toolCallId: z.string(),
  tool: z.string(),
  waitId: z.uuid(),
  kind: WaitKindSchema,
  deadline: z.iso.datetime().nullable(),
});
export type AwaitedInput = z.infer<typeof AwaitedInputSchema>;
