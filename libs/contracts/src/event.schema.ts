import { z } from 'zod';
import { MemoryItemSchema } from './memory.schema';
import { AgentSchema, AgentStatusSchema } from './agent.schema';
import { LOOP_PHASES } from './activity.schema';
import { JobResultSchema, JobStatusSchema } from './job.schema';
import { ScheduleSchema } from './schedule.schema';
import { MessageSchema } from './conversation.schema';
import { WaitKindSchema, WaitResolutionSchema } from './human-input.schema';

// One typed map of every lifecycle event: its name appears once, with its payload schema.
export const EventPayloadSchemas = {
  'agent.created': z.object({ agent: AgentSchema }),
  'agent.updated': z.object({ agent: AgentSchema }),
  'agent.deleted': z.object({ agentId: z.uuid() }),
  'agent.paused': z.object({ agentId: z.uuid() }),
  'agent.resumed': z.object({ agentId: z.uuid() }),
  'schedule.created': z.object({ schedule: ScheduleSchema }),
  'schedule.deleted': z.object({ scheduleId: z.uuid() }),
  /** A schedule advanced: `ticks` fired (one job each); `missed` ticks were dropped by its policy. */
  'schedule.fired': z.object({
    scheduleId: z.uuid(),
    ticks: z.array(z.string()),
    jobIds: z.array(z.uuid()),
    missed: z.int(),
    nextRunAt: z.string().nullable(),
    error: z.string().nullable(),
  }),
  'job.created': z.object({
    status: JobStatusSchema,
    input: z.string(),
    priority: z.int(),
    runAt: z.string().nullable(),
  }),
  /** Moved to `queued`: from delayed, waiting (dependencies met) or waiting-children. */
  'job.queued': z.object({ from: JobStatusSchema }),
  'job.active': z.object({ attempt: z.int() }),
  'job.progress': z.object({ progress: z.int().min(0).max(100) }),
  'job.retrying': z.object({ attempt: z.int(), error: z.string(), delayMs: z.int(), runAt: z.string() }),
  'job.waiting-children': z.object({ children: z.int() }),
  /** Parked on people or the outside world: the pending waits, by kind. */
  'job.waiting-input': z.object({ waits: z.array(z.object({ id: z.uuid(), kind: WaitKindSchema })) }),
  /** A gated tool call waits for a person's decision (POST /api/v1/approvals/:id). */
  'approval.requested': z.object({
    approvalId: z.uuid(),
    tool: z.string(),
    arguments: z.unknown(),
    reason: z.string(),
    deadline: z.string().nullable(),
    onTimeout: z.enum(['reject', 'approve']),
  }),
  'approval.resolved': z.object({ approvalId: z.uuid(), tool: z.string(), resolution: WaitResolutionSchema }),
  /** No decision by the deadline: the policy's `onTimeout` applied. */
  'approval.expired': z.object({ approvalId: z.uuid(), tool: z.string(), outcome: z.enum(['reject', 'approve']) }),
  /** ask_human or wait_for_signal parked the job. */
  'input.requested': z.object({
    waitId: z.uuid(),
    kind: WaitKindSchema,
    question: z.string().optional(),
    choices: z.array(z.string()).optional(),
    signal: z.string().optional(),
    deadline: z.string().nullable(),
  }),
  'input.resolved': z.object({ waitId: z.uuid(), kind: WaitKindSchema, resolution: WaitResolutionSchema }),
  /** A person's message added to a running or parked job (POST /api/v1/jobs/:id/messages). */
  'job.steered': z.object({ steerId: z.uuid(), text: z.string(), by: z.string(), consumed: z.boolean() }),
  'job.completed': z.object({ attempt: z.int(), result: JobResultSchema }),
  'job.failed': z.object({ attempt: z.int(), reason: z.string() }),
  'job.cancelled': z.object({ reason: z.string() }),
  /** The agent's status changed: busy while it runs `jobId`, active again after. */
  'agent.status': z.object({ status: AgentStatusSchema, jobId: z.uuid().nullable() }),
  /** An item was saved to the agent's memory (the memory_save tool, or POST /memory/save). */
  'memory.update': z.object({ item: MemoryItemSchema }),
  /** A phase or a model step of the agent loop ended (step counts model calls in the job). */
  'agent.step': z.object({
    iteration: z.int(),
    step: z.int(),
    phase: z.enum(LOOP_PHASES),
    finishReason: z.string().optional(),
    text: z.string().optional(),
    usage: z.object({ inputTokens: z.number().optional(), outputTokens: z.number().optional() }).optional(),
  }),
  'tool.called': z.object({ step: z.int(), toolCallId: z.string(), tool: z.string(), args: z.unknown() }),
  'tool.result': z.object({
    step: z.int(),
    toolCallId: z.string(),
    tool: z.string(),
    result: z.unknown().optional(),
    error: z.string().optional(),
  }),
  /** The agent checked its answer against its validationCriteria. */
  'job.validation': z.object({
    iteration: z.int(),
    passed: z.boolean(),
    feedback: z.string(),
    criteria: z.array(z.string()),
  }),
  /**
   * A model text delta. High rate: published on core NATS (`<p>.live.…`), not JetStream, so it is
   * live only (no seq, no replay); the stored answer and `agent.step` events are the durable record.
   */
  'agent.token': z.object({ iteration: z.int(), step: z.int(), index: z.int(), delta: z.string() }),
  /** Conversation events: on `<p>.events.conversation.<conversationId>.<type>`. */
  'message.created': z.object({ message: MessageSchema }),
  'message.updated': z.object({ message: MessageSchema }),
  /** Soft deletion: the message keeps its place, with empty content and `deletedAt`. */
  'message.deleted': z.object({ message: MessageSchema }),
  /** The conversation was deleted, with its participants and messages: the topic's last event. */
  'conversation.deleted': z.object({ conversationId: z.uuid() }),
} as const;
export type EventType = keyof typeof EventPayloadSchemas;
export const EVENT_TYPES = Object.keys(EventPayloadSchemas) as EventType[];
export type PayloadOf<T extends EventType> = z.infer<(typeof EventPayloadSchemas)[T]>;

// The envelope every event travels in (JetStream, WS, SSE).
export const EventEnvelopeSchema = z.object({
  id: z.uuid(),
  type: z.enum(EVENT_TYPES as [EventType, ...EventType[]]),
  occurredAt: z.iso.datetime(),
  traceId: z.string().min(1),
  agentId: z.uuid().optional(),
  jobId: z.uuid().optional(),
  conversationId: z.uuid().optional(),
  data: z.record(z.string(), z.unknown()),
});
export type EventEnvelope<T extends EventType = EventType> = Omit<
  z.infer<typeof EventEnvelopeSchema>,
  'type' | 'data'
> & { type: T; data: PayloadOf<T> };
