import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { JobEntity } from '@wiz/persistence';
import { Emit, JobFlowService } from '@wiz/queue';
import { MessagesService } from './messages.service';

export const apologyFor = (job: JobEntity): string =>
  `Sorry, I could not answer this: ${job.failureReason ?? 'the job failed'}. ` +
  `You can send your message again, or retry the job (POST /api/v1/jobs/${job.id}/retry).`;

// The agent's side of a conversation: when a job a message created ends, its reply is posted
// as the agent's message in the same transaction as the job's terminal transition (a settle
// hook, see libs/queue/src/settle-hooks.ts), so a reply is never lost nor posted twice.
// Completed: the result's text. Failed: an apology with a retry hint (role `system`: it is
// not the model's words, and is left out of later context). Cancelled (by a client, or
// interrupted by a newer message): nothing.
@Injectable()
export class ConversationReplies implements OnModuleInit {
  constructor(
    private readonly flow: JobFlowService,
    private readonly messages: MessagesService,
  ) {}

  onModuleInit(): void {
    this.flow.onSettled((job, m, emit) => this.settled(job, m, emit));
  }

  async settled(job: JobEntity, m: EntityManager, emit: Emit): Promise<void> {
    if (!job.conversationId || job.status === 'cancelled') return;
    const reply =
      job.status === 'completed'
        ? { content: job.result?.text || '(no answer)', role: 'assistant' as const }
        : {
            content: apologyFor(job),
            role: 'system' as const,
            toolData: { failedJobId: job.id, reason: job.failureReason },
          };
    try {
      await this.messages.postAsAgent(
        job.ownerId,
        job.conversationId,
        job.agentId,
        { ...reply, jobId: job.id, traceId: job.traceId },
        { m, emit },
      );
    } catch (e) {
      // The agent left the conversation meanwhile: its job still ends; nothing is posted.
      if ((e as { code?: string }).code !== 'not_found') throw e;
    }
  }
}
