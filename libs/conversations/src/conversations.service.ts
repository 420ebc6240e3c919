import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  AddParticipant,
  Conversation,
  ConversationListQuery,
  CreateConversationParsed,
  CreateProject,
  isUuid,
  notFound,
  PageOf,
  PageQuery,
  Participant,
  Project,
  WizError,
} from '@wiz/contracts';
import {
  AgentsRepository,
  ConversationEntity,
  ConversationParticipantEntity,
  ConversationsRepository,
  OwnerCaps,
  ProjectEntity,
} from '@wiz/persistence';
import { makeEvent, StateChangesService } from '@wiz/queue';
import { traceIdOrNew } from '@wiz/telemetry';
import { toConversation, toParticipant, toProject } from './conversation.mapper';

/** Jobs a refused deletion names at most. */
const JOBS_NAMED = 5;

// Projects, conversations and who is in them. Every read and write is scoped by the owner; an
// id of another owner is answered like an unknown one (404).
@Injectable()
export class ConversationsService {
  constructor(
    private readonly conversations: ConversationsRepository,
    private readonly agents: AgentsRepository,
    private readonly changes: StateChangesService,
    private readonly caps: OwnerCaps,
  ) {}

  async createProject(ownerId: string, body: CreateProject): Promise<Project> {
    const now = new Date();
    const p = Object.assign(new ProjectEntity(), {
      id: randomUUID(),
      ownerId,
      name: body.name,
      description: body.description ?? null,
      createdAt: now,
      updatedAt: now,
    });
    await this.caps.insert('projects', ownerId, (m) => this.conversations.insertProject(p, m));
    return toProject(p);
  }

  async listProjects(ownerId: string, page: PageQuery): Promise<PageOf<Project>> {
    const [items, total] = await this.conversations.listProjects(ownerId, page);
    return { items: items.map(toProject), total, ...page };
  }

  async getProject(ownerId: string, id: string): Promise<Project> {
    const p = isUuid(id) ? await this.conversations.findProject(ownerId, id) : null;
    if (!p) throw notFound('project', id);
    return toProject(p);
  }

  /**
   * An empty project only: its channels are deleted first (each with its own checks). The row
   * is locked (Postgres) against a channel created meanwhile, which locks it too.
   */
  async removeProject(ownerId: string, id: string): Promise<void> {
    await this.getProject(ownerId, id);
    await this.changes.commit(async (m) => {
      if (!(await this.conversations.lockProject(ownerId, id, 'update', m))) throw notFound('project', id);
      const channels = await this.conversations.countOfProject(ownerId, id, m);
      if (channels)
        throw new WizError(
          'conflict',
          `project ${id} still has ${channels} channel(s): delete them first (DELETE /api/v1/conversations/<id>)`,
        );
      await this.conversations.removeProject(ownerId, id, m);
    });
  }

  async create(ownerId: string, body: CreateConversationParsed): Promise<Conversation> {
    const now = new Date();
    const c = Object.assign(new ConversationEntity(), {
      id: randomUUID(),
      ownerId,
      kind: body.kind,
      projectId: null,
      name: null,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    });
    const rows: ConversationParticipantEntity[] = [];
    const member = (kind: 'user' | 'agent', participantId: string, name: string | null) =>
      Object.assign(new ConversationParticipantEntity(), {
        conversationId: c.id,
        kind,
        participantId,
        ownerId,
        name,
        joinedAt: now,
      });
    if (body.kind === 'dm') {
      const agent = await this.agents.findById(ownerId, body.agentId);
      if (!agent) throw notFound('agent', body.agentId);
      rows.push(member('user', body.userId, body.userName ?? null), member('agent', agent.id, agent.name));
    } else {
      await this.getProject(ownerId, body.projectId);
      Object.assign(c, { projectId: body.projectId, name: body.name });
      const names = new Map<string, string>();
      for (const agentId of new Set(body.agentIds)) {
        const agent = await this.agents.findById(ownerId, agentId);
        if (!agent) throw notFound('agent', agentId);
        this.checkUniqueName(names, agent.name);
        rows.push(member('agent', agent.id, agent.name));
      }
      const users = new Map(body.users.map((u) => [u.userId, u.name ?? null]));
      for (const [userId, name] of users) rows.push(member('user', userId, name));
    }
    this.caps.checkNew('participants', ownerId, c.id, rows.length);
    await this.changes.commit(
      async (m) => {
        // A channel's project, locked (Postgres) until the commit: its deletion waits, then sees the channel.
        if (c.projectId && !(await this.conversations.lockProject(ownerId, c.projectId, 'share', m)))
          throw notFound('project', c.projectId);
        await this.caps.check(m, 'conversations', ownerId);
        await this.conversations.insert(c, m);
        await this.conversations.addParticipants(rows, m);
      },
      OwnerCaps.key('conversations', ownerId),
    );
    return toConversation(c, rows);
  }

  async list(ownerId: string, q: ConversationListQuery): Promise<PageOf<Conversation>> {
    const [items, total] = await this.conversations.list(ownerId, q);
    const members = await this.conversations.participantsOf(
      ownerId,
      items.map((c) => c.id),
    );
    return {
      items: items.map((c) =>
        toConversation(
          c,
          members.filter((p) => p.conversationId === c.id),
        ),
      ),
      total,
      limit: q.limit,
      offset: q.offset,
    };
  }

  async get(ownerId: string, id: string): Promise<Conversation> {
    const c = await this.load(ownerId, id);
    return toConversation(c, await this.conversations.participants(ownerId, id));
  }

  async load(ownerId: string, id: string): Promise<ConversationEntity> {
    const c = isUuid(id) ? await this.conversations.findById(ownerId, id) : null;
    if (!c) throw notFound('conversation', id);
    return c;
  }

  /**
   * Channels only: a DM stays one person and one agent. Agents' names are unique in a channel
   * (mentions). The members are read and checked under the conversation's lock, with the insert:
   * two adds at once cannot both pass.
   */
  async addParticipant(ownerId: string, conversationId: string, body: AddParticipant): Promise<Participant> {
    const c = await this.load(ownerId, conversationId);
    if (c.kind === 'dm')
      throw new WizError('conflict', 'a DM has exactly one person and one agent; create a channel to talk with more');
    const base = { conversationId, ownerId, joinedAt: new Date() };
    let row: ConversationParticipantEntity;
    if (body.kind === 'agent') {
      const agent = await this.agents.findById(ownerId, body.agentId);
      if (!agent) throw notFound('agent', body.agentId);
      row = Object.assign(new ConversationParticipantEntity(), base, {
        kind: 'agent',
        participantId: agent.id,
        name: agent.name,
      });
    } else {
      row = Object.assign(new ConversationParticipantEntity(), base, {
        kind: 'user',
        participantId: body.userId,
        name: body.name ?? null,
      });
    }
    await this.changes.commit(
      async (m) => {
        if (!(await this.conversations.lock(ownerId, conversationId, 'share', m)))
          throw notFound('conversation', conversationId);
        await this.caps.check(m, 'participants', ownerId, conversationId);
        const members = await this.conversations.participants(ownerId, conversationId, m);
        if (members.some((p) => p.kind === row.kind && p.participantId === row.participantId))
          throw new WizError('conflict', `${row.kind} ${row.participantId} is already in this conversation`);
        if (row.kind === 'agent')
          this.checkUniqueName(
            new Map(
              members.filter((p) => p.kind === 'agent').map((p) => [(p.name ?? '').toLowerCase(), p.participantId]),
            ),
            row.name ?? '',
          );
        await this.conversations.addParticipants([row], m);
      },
      OwnerCaps.key('participants', ownerId, conversationId),
    );
    return toParticipant(row);
  }

  async removeParticipant(ownerId: string, conversationId: string, kind: string, participantId: string): Promise<void> {
    const c = await this.load(ownerId, conversationId);
    if (c.kind === 'dm') throw new WizError('conflict', 'a DM keeps its two participants');
    if (!(await this.conversations.removeParticipant(ownerId, conversationId, kind, participantId)))
      throw notFound(`${kind} participant`, participantId);
  }

  /**
   * Deletes a conversation with its participants and messages; its jobs stay. Refused while a
   * job of it has not ended (its reply, its questions and approvals belong to the conversation):
   * cancel them first. The row is locked (Postgres) until the commit, as a message or a member
   * added locks it: one that commits first is seen (its job refuses the deletion), one after
   * finds the conversation gone (404).
   */
  async remove(ownerId: string, id: string): Promise<void> {
    await this.load(ownerId, id);
    await this.changes.commit(async (m, emit) => {
      if (!(await this.conversations.lock(ownerId, id, 'update', m))) throw notFound('conversation', id);
      const jobs = await this.conversations.unendedJobIds(ownerId, id, JOBS_NAMED, m);
      if (jobs.length)
        throw new WizError(
          'conflict',
          `conversation ${id} has jobs that have not ended (${jobs.join(', ')}${jobs.length === JOBS_NAMED ? ', …' : ''}): ` +
            'cancel them (POST /api/v1/jobs/<id>/cancel) or let them end, then delete it',
        );
      await this.conversations.remove(ownerId, id, m);
      emit.event(
        makeEvent('conversation.deleted', { conversationId: id, traceId: traceIdOrNew() }, { conversationId: id }),
      );
    });
  }

  // `@Name` must designate one agent of the channel.
  private checkUniqueName(names: Map<string, string>, name: string): void {
    const key = name.toLowerCase();
    if (names.has(key))
      throw new WizError(
        'conflict',
        `an agent named "${name}" is already in this channel: mentions (@${name}) would be ambiguous`,
      );
    names.set(key, name);
  }
}
