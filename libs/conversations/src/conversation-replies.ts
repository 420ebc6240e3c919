import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { clip } from '@wiz/contracts';
import { JobEntity, JobWaitEntity } from '@wiz/persistence';
import { Emit, JobFlowService, JobWaitsService } from '@wiz/queue';
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
    private readonly waits: JobWaitsService,
  ) {}

  onModuleInit(): void {
    this.flow.onSettled((job, m, emit) => this.settled(job, m, emit));
    this.waits.onRequested((job, rows, m, emit) => this.asked(job, rows, m, emit));
  }

  /** A job of a conversation parked on an approval or a question: the agent asks there. */
  async asked(job: JobEntity, rows: readonly JobWaitEntity[], m: EntityManager, emit: Emit): Promise<void> {
    if (!job.conversationId) return;
    for (const row of rows) {
      if (row.kind !== 'approval' && row.kind !== 'question') continue;
      try {
        await this.messages.postAsAgent(
          job.ownerId,
          job.conversationId,
          job.agentId,
          { content: askText(row), jobId: job.id, traceId: job.traceId, toolData: { waitId: row.id, kind: row.kind } },
          { m, emit },
        );
      } catch (e) {
        if ((e as { code?: string }).code !== 'not_found') throw e;
      }
    }
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

export function askText(row: JobWaitEntity): string {
  if (row.kind === 'question')
    return row.choices?.length
      ? `${row.reason}\nReply with one of: ${row.choices.join(', ')}.`
      : `${row.reason}\nReply with your answer.`;
  return (
    `I need your approval to run ${row.tool} with ${clip(JSON.stringify(row.arguments ?? {}), 500)} (${row.reason}).\n` +
    'Reply "approve", or "reject" with a comment.'
  );
}
