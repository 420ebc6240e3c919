import { Conversation, Message, Participant, Project } from '@wiz/contracts';
import { ConversationEntity, ConversationParticipantEntity, MessageEntity, ProjectEntity } from '@wiz/persistence';

const iso = (d: Date) => d.toISOString();

export const toProject = (e: ProjectEntity): Project => ({
  id: e.id,
  name: e.name,
  description: e.description,
  createdAt: iso(e.createdAt),
  updatedAt: iso(e.updatedAt),
});

export const toParticipant = (e: ConversationParticipantEntity): Participant => ({
  kind: e.kind,
  id: e.participantId,
  name: e.name,
  joinedAt: iso(e.joinedAt),
});

export const toConversation = (e: ConversationEntity, participants: ConversationParticipantEntity[]): Conversation => ({
  id: e.id,
  kind: e.kind,
  projectId: e.projectId,
  name: e.name,
  participants: participants.map(toParticipant),
  createdAt: iso(e.createdAt),
  updatedAt: iso(e.updatedAt),
});

export const toMessage = (e: MessageEntity): Message => ({
  id: e.id,
  conversationId: e.conversationId,
  author: { kind: e.authorKind, id: e.authorId, name: e.authorName },
  content: e.deletedAt ? '' : e.content,
  role: e.role,
  toolData: e.deletedAt ? null : (e.toolData ?? null),
  jobIds: e.jobIds,
  createdAt: iso(e.createdAt),
  updatedAt: iso(e.updatedAt),
  deletedAt: e.deletedAt ? iso(e.deletedAt) : null,
});

/** Opaque to clients: `<createdAt ms>_<id>` of the last message of a page. */
export const cursorOf = (e: MessageEntity): string => `${e.createdAt.getTime()}_${e.id}`;
export const parseCursor = (c: string): { createdAt: number; id: string } => {
  const [at, id] = c.split('_') as [string, string];
  return { createdAt: Number(at), id: id.toLowerCase() };
};
