import { Injectable } from '@nestjs/common';
import { Message, MessageAction, notFound, PostMessage, Wait, WizError } from '@wiz/contracts';
import { ConversationsRepository, JobWaitEntity, JobWaitsRepository } from '@wiz/persistence';
import { JobWaitsService } from '@wiz/queue';
import { ConversationsService } from './conversations.service';
import { MessagesService } from './messages.service';

const APPROVE = new Set(['approve', 'approved', 'yes', 'ok']);
const REPLY = /^(approve|approved|yes|ok|reject|rejected|no|deny)\b[\s:,.!-]*([\s\S]*)$/i;

// A person's message in a conversation where a job of this conversation waits for a person:
// the reply answers the wait instead of starting a job. `{ action: { waitId, decision | answer } }`
// names the wait; plain text is read as "approve" / "reject [comment]" for the oldest pending
// approval, else as the answer to the oldest pending question (one of its choices, if it has
// some). Anything else is an ordinary message.
@Injectable()
export class ConversationInputService {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly repo: ConversationsRepository,
    private readonly waitRows: JobWaitsRepository,
    private readonly waits: JobWaitsService,
    private readonly messages: MessagesService,
  ) {}

  async post(ownerId: string, conversationId: string, body: PostMessage): Promise<Message> {
    await this.conversations.load(ownerId, conversationId);
    const members = await this.repo.participants(ownerId, conversationId);
    if (!members.some((p) => p.kind === 'user' && p.participantId === body.userId))
      throw new WizError('forbidden', `user ${body.userId} is not a participant of conversation ${conversationId}`);
    const by = `user:${body.userId}`;
    const resolved = body.action
      ? await this.act(ownerId, conversationId, body.action, by)
      : await this.reply(ownerId, conversationId, body.content ?? '', by);
    const content = body.content ?? describe(body.action!);
    return this.messages.post(ownerId, conversationId, { userId: body.userId, content }, resolved?.id);
  }

  private async act(ownerId: string, conversationId: string, a: MessageAction, by: string): Promise<Wait> {
    const row = await this.waitRows.findById(ownerId, a.waitId);
    if (!row || row.conversationId !== conversationId) throw notFound('wait', a.waitId);
    if (row.status !== 'pending') throw new WizError('conflict', `${row.kind} ${row.id} is already ${row.status}`);
    if (row.kind === 'approval' && a.decision) return this.decide(row, a.decision, a.comment, by);
    if (row.kind === 'question' && a.answer !== undefined)
      return this.waits.answer(ownerId, row.jobId, { waitId: row.id, answer: a.answer }, by);
    throw new WizError(
      'validation_failed',
      row.kind === 'approval' ? 'an approval takes a `decision`' : `a ${row.kind} takes an \`answer\``,
    );
  }

  private async reply(ownerId: string, conversationId: string, text: string, by: string): Promise<Wait | null> {
    const pending = await this.waitRows.pendingInConversation(ownerId, conversationId);
    const approval = pending.find((w) => w.kind === 'approval');
    const said = REPLY.exec(text.trim());
    if (approval && said) {
      const word = said[1]!.toLowerCase();
      return this.decide(approval, APPROVE.has(word) ? 'approve' : 'reject', said[2]?.trim() || undefined, by);
    }
    const question = pending.find((w) => w.kind === 'question');
    if (!question) return null;
    const answer = question.choices?.length
      ? question.choices.find((c) => c.toLowerCase() === text.trim().toLowerCase())
      : text.trim();
    return answer ? this.waits.answerWith(question, answer, by) : null;
  }

  private decide(row: JobWaitEntity, decision: 'approve' | 'reject', comment: string | undefined, by: string) {
    return this.waits.decide(row.ownerId, row.id, { decision, ...(comment && { comment }) }, by);
  }
}

function describe(a: MessageAction): string {
  return a.decision ? `${a.decision}${a.comment ? ` ${a.comment}` : ''}` : (a.answer ?? '');
}
