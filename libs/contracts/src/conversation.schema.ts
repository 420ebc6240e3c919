import { z } from 'zod';
import { cursorQuerySchema, PageQuerySchema } from './page.schema';
import { DOUBLE_TEXTING_POLICIES } from './vocabulary';

// Conversations: people and agents talk in DMs and in the channels of projects.
// People are identified within their owner by a free `userId` (the owner's own user ids).

export const DoubleTextingSchema = z.enum(DOUBLE_TEXTING_POLICIES);
export type DoubleTexting = z.infer<typeof DoubleTextingSchema>;

const text = (max: number) => z.string().trim().min(1).max(max);
const userId = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\s@]+$/, 'a user id has no spaces and no @');

export const ProjectSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Project = z.infer<typeof ProjectSchema>;
export const CreateProjectSchema = z.strictObject({ name: text(200), description: text(5_000).optional() });
export type CreateProject = z.infer<typeof CreateProjectSchema>;

export const CONVERSATION_KINDS = ['dm', 'channel'] as const;
export const ConversationKindSchema = z.enum(CONVERSATION_KINDS);
export type ConversationKind = z.infer<typeof ConversationKindSchema>;

export const PARTICIPANT_KINDS = ['user', 'agent'] as const;
export type ParticipantKind = (typeof PARTICIPANT_KINDS)[number];

export const ParticipantSchema = z.object({
  kind: z.enum(PARTICIPANT_KINDS),
  /** A user id, or an agent id. */
  id: z.string(),
  name: z.string().nullable(),
  joinedAt: z.iso.datetime(),
});
export type Participant = z.infer<typeof ParticipantSchema>;

export const AddParticipantSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('agent'), agentId: z.uuid() }),
  z.strictObject({ kind: z.literal('user'), userId, name: text(200).optional() }),
]);
export type AddParticipant = z.infer<typeof AddParticipantSchema>;

export const ConversationSchema = z.object({
  id: z.uuid(),
  kind: ConversationKindSchema,
  projectId: z.uuid().nullable(),
  name: z.string().nullable(),
  participants: z.array(ParticipantSchema),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Conversation = z.infer<typeof ConversationSchema>;

export const CreateConversationSchema = z.discriminatedUnion('kind', [
  /** A DM between one person and one agent. */
  z.strictObject({ kind: z.literal('dm'), agentId: z.uuid(), userId, userName: text(200).optional() }),
  /** A channel of a project; more participants can be added later. */
  z.strictObject({
    kind: z.literal('channel'),
    projectId: z.uuid(),
    name: text(200),
    agentIds: z.array(z.uuid()).max(100).default([]),
    users: z
      .array(z.strictObject({ userId, name: text(200).optional() }))
      .max(1_000)
      .default([]),
  }),
]);
export type CreateConversation = z.input<typeof CreateConversationSchema>;
export type CreateConversationParsed = z.infer<typeof CreateConversationSchema>;

/** Filters combine (and): a DM of an agent with a person is `kind=dm&agentId=…&userId=…`. */
export const ConversationListQuerySchema = PageQuerySchema.extend({
  projectId: z.uuid().optional(),
  kind: ConversationKindSchema.optional(),
  /** Only conversations this agent takes part in. */
  agentId: z.uuid().optional(),
  /** Only conversations this person takes part in. */
  userId: userId.optional(),
});
export type ConversationListQuery = z.infer<typeof ConversationListQuerySchema>;

/** The LLM-side role of a message, stored beside it so that context is rebuilt faithfully. */
export const MESSAGE_ROLES = ['user', 'assistant', 'system', 'tool'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

export const MessageSchema = z.object({
  id: z.uuid(),
  conversationId: z.uuid(),
  author: z.object({ kind: z.enum(PARTICIPANT_KINDS), id: z.string(), name: z.string().nullable() }),
  /** Empty once deleted. */
  content: z.string(),
  role: z.enum(MESSAGE_ROLES),
  /** Tool calls / results of the message, as the model saw them (null for plain text). */
  toolData: z.unknown().nullable(),
  /** A person's message: the job it gave each agent it reached. An agent's message: the job it answers. */
  jobIds: z.array(z.uuid()),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  deletedAt: z.iso.datetime().nullable(),
});
export type Message = z.infer<typeof MessageSchema>;

/** Answers a pending approval or question of a job in this conversation instead of starting a job. */
export const MessageActionSchema = z
  .strictObject({
    waitId: z.uuid(),
    decision: z.enum(['approve', 'reject']).optional(),
    answer: z.string().min(1).max(10_000).optional(),
    comment: z.string().max(10_000).optional(),
  })
  .refine((a) => (a.decision === undefined) !== (a.answer === undefined), 'give either `decision` or `answer`');
export type MessageAction = z.infer<typeof MessageActionSchema>;

export const PostMessageSchema = z
  .strictObject({ userId, content: text(100_000).optional(), action: MessageActionSchema.optional() })
  .refine((b) => b.content !== undefined || b.action !== undefined, 'give `content` (or an `action`)');
export type PostMessage = z.infer<typeof PostMessageSchema>;
export const UpdateMessageSchema = z.strictObject({ content: text(100_000) });
export type UpdateMessage = z.infer<typeof UpdateMessageSchema>;

/** `cursor`: the `nextCursor` of the previous page, messages older than its last one. */
export const MessageListQuerySchema = cursorQuerySchema(
  z.string().regex(/^\d{1,16}_[0-9a-f-]{36}$/i, 'not a cursor from this API'),
  200,
);
export type MessageListQuery = z.infer<typeof MessageListQuerySchema>;
export const MessagePageSchema = z.object({ items: z.array(MessageSchema), nextCursor: z.string().nullable() });
export type MessagePage = z.infer<typeof MessagePageSchema>;

/** `data` of a job created by a message: the recent conversation, as the agent sees it. */
export interface ConversationJobData {
  conversationId: string;
  messageId: string;
  /** The window before the message (oldest first); the message itself is the job's `input`. */
  conversation: Array<{ role: 'user' | 'assistant'; content: string }>;
  /** Older history, summarised (a deterministic truncation for now). */
  summary?: string;
}
