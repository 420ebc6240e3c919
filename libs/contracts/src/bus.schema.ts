import { z } from 'zod';
import { ModelConfigSchema } from './agent.schema';

// A command in an agent's mailbox. The job row is the truth; the command only says "run it".
export const RunJobCommandSchema = z.object({
  kind: z.literal('job.run'),
  jobId: z.uuid(),
  agentId: z.uuid(),
  ownerId: z.string().min(1).max(100),
  traceId: z.string().min(1),
  /** Higher runs first among the agent's queued jobs. */
  priority: z.int().default(0),
  /**
   * The agent may have more queued jobs than commands in flight (they were resent after their
   * commands were lost): its actor fetches them from the store once its inbox is empty.
   */
  backlog: z.boolean().optional(),
});
export type RunJobCommand = z.infer<typeof RunJobCommandSchema>;

export const MailboxCommandSchema = z.discriminatedUnion('kind', [RunJobCommandSchema]);
export type MailboxCommand = z.infer<typeof MailboxCommandSchema>;

// Core NATS (at most once) broadcast to every runtime: abort a running job. The store is the
// truth (the job is already `cancelled` there), so a lost message only delays the abort until
// the job's next transition, which its revision check then refuses.
export const CancelJobSignalSchema = z.object({ jobId: z.uuid(), agentId: z.uuid(), reason: z.string() });
export type CancelJobSignal = z.infer<typeof CancelJobSignalSchema>;

// Core NATS broadcast to every runtime: an agent was resumed, or its job ended on some runtime,
// so the actor holding its commands re-checks at once (else it would at its next delivery).
export const WakeAgentSignalSchema = z.object({ agentId: z.uuid() });
export type WakeAgentSignal = z.infer<typeof WakeAgentSignalSchema>;

// Core NATS broadcast to every gateway: an API key was revoked. Each gateway forgets its cached
// verification of the key and ends the live sessions (WebSocket, SSE) opened with it.
export const KeyRevokedSignalSchema = z.object({ keyId: z.uuid() });
export type KeyRevokedSignal = z.infer<typeof KeyRevokedSignalSchema>;

// Core NATS broadcast to every process: what an owner configured and every job reads changed
// (its webhooks, budgets or approval policies). Processes keep these in memory per owner
// (OwnerCache, libs/bus) and forget that owner's entry now; they re-read it after 10 s anyway.
export const OWNER_CONFIGS = ['webhooks', 'budgets', 'approvals'] as const;
export type OwnerConfig = (typeof OWNER_CONFIGS)[number];
export const OwnerConfigChangedSignalSchema = z.object({
  ownerId: z.string().min(1).max(100),
  what: z.enum(OWNER_CONFIGS),
});
export type OwnerConfigChangedSignal = z.infer<typeof OwnerConfigChangedSignalSchema>;

// Core NATS broadcast to every runtime: a process that sends no webhooks (a gateway) committed
// webhook deliveries; runtimes look for due ones now (else at their next sweep, within 0.5 s).
export const WebhooksDueSignalSchema = z.object({ deliveries: z.int().min(1) });
export type WebhooksDueSignal = z.infer<typeof WebhooksDueSignalSchema>;

// Every control message (`<p>.control.<kind>`, see busNames.control) and its payload's schema:
// BusService.publishControl / subscribeControl validate against this table.
export const CONTROL_MESSAGES = {
  cancel: CancelJobSignalSchema,
  wake: WakeAgentSignalSchema,
  revoke: KeyRevokedSignalSchema,
  'owner-config': OwnerConfigChangedSignalSchema,
  'webhooks-due': WebhooksDueSignalSchema,
} as const;
export type ControlKind = keyof typeof CONTROL_MESSAGES;
export type ControlMessage<K extends ControlKind> = z.infer<(typeof CONTROL_MESSAGES)[K]>;

// Core NATS request/reply from a gateway to one runtime (queue group): the embedding of a text
// with the embedding model of an agent's endpoint. Provider keys stay in the runtime; only the
// text and the vector travel. No runtime answering: the item is kept without embedding.
export const EmbedRequestSchema = z.object({
  ownerId: z.string().min(1).max(100),
  model: ModelConfigSchema,
  text: z.string().min(1).max(20_000),
});
export type EmbedRequest = z.infer<typeof EmbedRequestSchema>;

export const EmbedReplySchema = z.union([
  z.object({ embedding: z.array(z.number()).max(65_536) }),
  z.object({ error: z.string() }),
]);
export type EmbedReply = z.infer<typeof EmbedReplySchema>;
