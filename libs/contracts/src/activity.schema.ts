import { z } from 'zod';
import { AwaitedInputSchema } from './human-input.schema';

// What an agent writes while planning: how it will know it is done, and the steps to get there.
export const PlanSchema = z.object({
  validationCriteria: z.array(z.string().min(1).max(2_000)).min(1).max(20),
  steps: z.array(z.string().min(1).max(2_000)).min(1).max(30),
});
export type Plan = z.infer<typeof PlanSchema>;

// The agent's own verdict on its answer, against its criteria.
export const ValidationVerdictSchema = z.object({
  passed: z.boolean(),
  feedback: z.string().max(4_000),
});
export type ValidationVerdict = z.infer<typeof ValidationVerdictSchema>;

export const LOOP_PHASES = ['plan', 'act', 'validate', 'done'] as const;
export type LoopPhase = (typeof LOOP_PHASES)[number];

export const ToolTraceSchema = z.object({
  step: z.int(),
  toolCallId: z.string(),
  tool: z.string(),
  args: z.unknown(),
  result: z.unknown().optional(),
  error: z.string().optional(),
});
export type ToolTrace = z.infer<typeof ToolTraceSchema>;

// A child job a parked job waits for (delegate_to_agent, ask_agent): its result becomes the
// result of the tool call `toolCallId` when the job resumes.
export const AwaitedChildSchema = z.object({
  toolCallId: z.string(),
  tool: z.string(),
  childJobId: z.uuid(),
  agentId: z.uuid(),
  agentName: z.string(),
  /** ask_agent: when the job stops waiting (ISO date-time); null: until the child ends. */
  deadline: z.iso.datetime().nullable(),
});
export type AwaitedChild = z.infer<typeof AwaitedChildSchema>;

export const TodoSchema = z.object({ text: z.string(), done: z.boolean() });

// ActivityContext: a job's working state, stored as it evolves, so that a redelivered job
// continues where it stopped. `messages` are AI SDK ModelMessages of the current act phase.
export const ActivityContextSchema = z.object({
  jobId: z.uuid(),
  agentId: z.uuid(),
  input: z.string(),
  phase: z.enum(LOOP_PHASES),
  iteration: z.int(),
  plan: PlanSchema.nullable(),
  /** Why there is no plan (the model gave none): the job then runs without self-validation. */
  planNote: z.string().nullable(),
  messages: z.array(z.unknown()),
  toolCalls: z.array(ToolTraceSchema),
  validationResult: ValidationVerdictSchema.extend({ iteration: z.int() }).nullable(),
  partialOutputs: z.array(z.string()),
  errors: z.array(z.string()),
  learnings: z.array(z.string()),
  steps: z.int(),
  tokens: z.int(),
  runs: z.int(),
  /** Child jobs the job is parked on (see AwaitedChildSchema). */
  awaiting: z.array(AwaitedChildSchema).optional(),
  /** Approvals, questions and signals the job is parked on (`waiting-input`). */
  inputs: z.array(AwaitedInputSchema).optional(),
  /** The job's todo list (todo_read / todo_write). */
  todos: z.array(TodoSchema).optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type ActivityContext = z.infer<typeof ActivityContextSchema>;
