import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import {
  ConversationJobData,
  isUuid,
  Message,
  MessageListQuery,
  MessagePage,
  MessageRole,
  notFound,
  WizError,
} from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import {
  AgentEntity,
  AgentsRepository,
  ContextMessage,
  ConversationEntity,
  ConversationParticipantEntity,
  ConversationsRepository,
  MessageEntity,
  MessagesRepository,
} from '@wiz/persistence';
import { Emit, JobsService, makeEvent, StateChangesService } from '@wiz/queue';
import { buildContext, mentionedAgents } from './conversation-context';
import { cursorOf, parseCursor, toMessage } from './conversation.mapper';
import { ConversationsService } from './conversations.service';
import { traceIdOrNew } from '@wiz/telemetry';

/** Older messages read beyond the window, for the summary. */
const SUMMARY_LOOKBACK = 50;

export interface AgentPost {
  content: string;
  role?: MessageRole;
  toolData?: unknown;
  /** The job the message answers. */
  jobId?: string;
  traceId?: string;
}

// Messages: a person's message reaches the agents it is for (the DM's agent, or the agents a
// channel message mentions) as jobs, committed with the message; agents post with `postAsAgent`.
@Injectable()
export class MessagesService {
  constructor(
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly conversations: ConversationsService,
    private readonly repo: ConversationsRepository,
    private readonly messages: MessagesRepository,
    private readonly agents: AgentsRepository,
    private readonly jobs: JobsService,
    private readonly changes: StateChangesService,
  ) {}

  /**
   * A person's message. `answers`: the wait it resolved (a reply to an approval or a question),
   * then it starts no job and interrupts none.
   */
  async post(
    ownerId: string,
    conversationId: string,
    body: { userId: string; content: string },
    answers?: string,
  ): Promise<Message> {
    const c = await this.conversations.load(ownerId, conversationId);
    const members = await this.repo.participants(ownerId, conversationId);
    const author = members.find((p) => p.kind === 'user' && p.participantId === body.userId);
    if (!author)
      throw new WizError('forbidden', `user ${body.userId} is not a participant of conversation ${conversationId}`);
    const targets = answers ? [] : await this.targets(ownerId, c, members, body.content);
    await this.interrupt(ownerId, c.id, targets);
    const traceId = traceIdOrNew();
    const now = new Date();
    const msg = Object.assign(new MessageEntity(), {
      id: randomUUID(),
      ownerId,
      conversationId,
      authorKind: 'user',
      authorId: author.participantId,
      authorName: author.name,
      content: body.content,
      role: 'user',
      toolData: answers ? { answersWaitId: answers } : null,
      jobIds: [],
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    } satisfies MessageEntity);
    return this.changes.commit(async (m, emit) => {
      // In the transaction: a message racing this one commits before or after, never beside it.
      // The conversation's row, locked (Postgres) until the commit: deleted meanwhile, 404.
      const [found, { history, truncated }] = await Promise.all([
        this.repo.lock(ownerId, conversationId, 'share', m),
        this.history(ownerId, conversationId, m),
      ]);
      if (!found) throw notFound('conversation', conversationId);
      for (const agent of targets)
        if (agent.doubleTexting === 'reject') await this.rejectIfBusy(ownerId, conversationId, agent, m);
      // The jobs' events and commands are emitted after the message's own event: the outbox
      // publishes in the order rows were emitted, so a client sees the message, then its jobs.
      const later: (() => void)[] = [];
      const deferred: Emit = {
        event: (e) => later.push(() => emit.event(e)),
        command: (subject, c, msgId) => later.push(() => emit.command(subject, c, msgId)),
      };
      const jobIds: string[] = [];
      for (const agent of targets) {
        const data: ConversationJobData = {
          conversationId,
          messageId: msg.id,
          ...buildContext(
            history,
            agent.id,
            this.config.WIZ_CONVERSATION_CONTEXT_MESSAGES,
            c.kind === 'channel',
            truncated,
          ),
        };
        const input = c.kind === 'channel' ? `${author.name ?? author.participantId}: ${body.content}` : body.content;
        const job = await this.jobs.submitWithin(
          m,
          deferred,
          ownerId,
          { agentId: agent.id, input, data: { ...data } },
          { traceId, conversationId },
        );
        jobIds.push(job.id);
      }
      const stored = Object.assign(new MessageEntity(), msg, { jobIds });
      // Mapped before the insert: TypeORM writes the raw defaults it reads back into the entity.
      const out = toMessage(stored);
      await this.messages.insert(stored, m);
      emit.event(makeEvent('message.created', { conversationId, traceId }, { message: out }));
      later.forEach((f) => f());
      return out;
    }, targets[0]?.id ?? '');
  }

  async list(ownerId: string, conversationId: string, q: MessageListQuery): Promise<MessagePage> {
    await this.conversations.load(ownerId, conversationId);
    const rows = await this.messages.page(
      ownerId,
      conversationId,
      q.limit + 1,
      q.cursor ? parseCursor(q.cursor) : undefined,
    );
    const page = rows.slice(0, q.limit);
    return { items: page.map(toMessage), nextCursor: rows.length > q.limit ? cursorOf(page[page.length - 1]!) : null };
  }

  async update(ownerId: string, conversationId: string, id: string, content: string): Promise<Message> {
    return this.change(ownerId, conversationId, id, 'message.updated', (msg) => {
      if (msg.deletedAt) throw new WizError('conflict', `message ${id} was deleted`);
      return { content, updatedAt: new Date() };
    });
  }

  async remove(ownerId: string, conversationId: string, id: string): Promise<void> {
    await this.change(ownerId, conversationId, id, 'message.deleted', (msg) => {
      if (msg.deletedAt) throw notFound('message', id);
      const now = new Date();
      return { deletedAt: now, updatedAt: now };
    });
  }

  /**
   * A message by an agent in a conversation it is part of: its reply to a job, or (the
   * `post_to_channel` tool) a message of its own. Inside the caller's transaction when given
   * `m`/`emit` (e.g. a settle hook), else in one of its own.
   */
  async postAsAgent(
    ownerId: string,
    conversationId: string,
    agentId: string,
    post: AgentPost,
    tx?: { m: EntityManager; emit: Emit },
  ): Promise<Message> {
    const work = async (m: EntityManager, emit: Emit) => {
      // The conversation's row, locked (Postgres) until the commit: deleted meanwhile, not found.
      const [found, members] = await Promise.all([
        this.repo.lock(ownerId, conversationId, 'share', m),
        this.repo.participants(ownerId, conversationId, m),
      ]);
      if (!found) throw notFound('conversation', conversationId);
      const member = members.find((p) => p.kind === 'agent' && p.participantId === agentId);
      if (!member) throw notFound('agent participant', agentId);
      const agent: AgentEntity | null = await this.agents.findById(ownerId, agentId, m);
      const now = new Date();
      const msg = Object.assign(new MessageEntity(), {
        id: randomUUID(),
        ownerId,
        conversationId,
        authorKind: 'agent',
        authorId: agentId,
        authorName: agent?.name ?? member.name,
        content: post.content,
        role: post.role ?? 'assistant',
        toolData: post.toolData ?? null,
        jobIds: post.jobId ? [post.jobId] : [],
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
      } satisfies MessageEntity);
      const out = toMessage(msg);
      await this.messages.insert(msg, m);
      emit.event(
        makeEvent('message.created', { conversationId, traceId: post.traceId ?? traceIdOrNew() }, { message: out }),
      );
      return out;
    };
    return tx ? work(tx.m, tx.emit) : this.changes.commit(work, agentId);
  }

  private async change(
    ownerId: string,
    conversationId: string,
    id: string,
    type: 'message.updated' | 'message.deleted',
    patchOf: (msg: MessageEntity) => Partial<MessageEntity>,
  ): Promise<Message> {
    await this.conversations.load(ownerId, conversationId);
    const msg = isUuid(id) ? await this.messages.findById(ownerId, conversationId, id) : null;
    if (!msg) throw notFound('message', id);
    const patch = patchOf(msg);
    const next = Object.assign(new MessageEntity(), msg, patch);
    const out = toMessage(next);
    await this.changes.commit(async (m, emit) => {
      if (!(await this.messages.update(ownerId, id, patch, m))) throw notFound('message', id);
      emit.event(makeEvent(type, { conversationId, traceId: traceIdOrNew() }, { message: out }));
    });
    return out;
  }

  // A DM reaches its agent; a channel message the agents it mentions (none: nobody is asked).
  private async targets(
    ownerId: string,
    c: ConversationEntity,
    members: ConversationParticipantEntity[],
    content: string,
  ): Promise<AgentEntity[]> {
    const inConversation = members.filter((p) => p.kind === 'agent');
    const ids =
      c.kind === 'dm'
        ? inConversation.map((p) => p.participantId)
        : mentionedAgents(
            content,
            inConversation.map((p) => ({ id: p.participantId, name: p.name ?? '' })),
          );
    const agents: AgentEntity[] = [];
    for (const id of ids) {
      const agent = await this.agents.findById(ownerId, id);
      if (agent) agents.push(agent);
      else if (c.kind === 'dm') throw new WizError('conflict', `the agent of this DM (${id}) was deleted`);
    }
    return agents;
  }

  // Double texting, `reject`: a second message while the agent's answer here is unfinished.
  private async rejectIfBusy(
    ownerId: string,
    conversationId: string,
    agent: AgentEntity,
    m: EntityManager,
  ): Promise<void> {
    const unfinished = await this.repo.unfinishedJobs(ownerId, conversationId, agent.id, m);
    if (!unfinished.length) return;
    throw new WizError(
      'conflict',
      `${agent.name} is still answering the previous message (job ${unfinished[0]!.id}) and its double-texting policy is "reject": wait for its reply, or cancel that job`,
    );
  }

  // Double texting, `interrupt`: the unfinished answers are cancelled (a running model call is
  // aborted) before the new message is committed, so the agent takes the new one next.
  private async interrupt(ownerId: string, conversationId: string, targets: AgentEntity[]): Promise<void> {
    for (const agent of targets.filter((a) => a.doubleTexting === 'interrupt')) {
      for (const job of await this.repo.unfinishedJobs(ownerId, conversationId, agent.id)) {
        // Ended meanwhile: nothing to interrupt.
        await this.jobs.cancel(ownerId, job.id, 'interrupted by a newer message').catch((e: unknown) => {
          if (!(e instanceof WizError && e.code === 'conflict')) throw e;
        });
      }
    }
  }

  private async history(
    ownerId: string,
    conversationId: string,
    m: EntityManager,
  ): Promise<{ history: ContextMessage[]; truncated: boolean }> {
    const want = this.config.WIZ_CONVERSATION_CONTEXT_MESSAGES + SUMMARY_LOOKBACK;
    const rows = await this.messages.contextRows(ownerId, conversationId, want + 1, m);
    return { history: rows.slice(0, want).reverse(), truncated: rows.length > want };
  }
}
