import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CreateJobSchema, EventEnvelope, PayloadOf, ServerFrame, WizError } from '@wiz/contracts';
import { JobsService } from '@wiz/queue';
import { EventClient, EventsHub } from '../events/events.hub';

/** How a job asked through MCP ended (or that the caller gave up on it). */
export type JobOutcome =
  | { status: 'completed'; jobId: string; text: string }
  | { status: 'failed' | 'cancelled'; jobId: string; reason: string };

/** One line about a job's progress, for an MCP progress notification. */
export type ProgressListener = (message: string) => void;

// Runs one job for an MCP tool call: submits it through the same service as POST /api/v1/jobs,
// follows its events on the bus like a WS client of `job:<id>` (replaying from the sequence read
// before the submission, so no event is missed, on whichever replica this runs), reports its
// progress, and cancels it (as POST /api/v1/jobs/:id/cancel does) when the caller aborts.
@Injectable()
export class AgentJobRunner {
  private readonly log = new Logger('McpJobs');

  constructor(
    private readonly jobs: JobsService,
    private readonly hub: EventsHub,
  ) {}

  async run(
    ownerId: string,
    agentId: string,
    task: string,
    signal: AbortSignal,
    onProgress: ProgressListener,
  ): Promise<JobOutcome> {
    const since = this.hub.lastSeq;
    const job = await this.jobs.submit(ownerId, CreateJobSchema.parse({ agentId, input: task }));
    let settle!: (o: JobOutcome) => void;
    const ended = new Promise<JobOutcome>((resolve) => (settle = resolve));
    const client: EventClient = {
      id: randomUUID(),
      ownerId,
      send: (frame) => {
        const outcome = frame.type === 'event' ? this.onEvent(job.id, frame, onProgress) : null;
        if (outcome) settle(outcome);
      },
      writable: () => Promise.resolve(true),
    };
    const abort = () => void this.cancel(ownerId, job.id).then(settle);
    signal.addEventListener('abort', abort, { once: true });
    try {
      if (signal.aborted) abort();
      // The server's own short replay (one job, from just before it was submitted): not a client's.
      else await this.hub.subscribe(client, `job:${job.id}`, since, { limitReplays: false });
      return await ended;
    } finally {
      signal.removeEventListener('abort', abort);
      this.hub.drop(client);
    }
  }

  private onEvent(jobId: string, frame: Extract<ServerFrame, { type: 'event' }>, report: ProgressListener) {
    const e = frame.event as EventEnvelope;
    switch (e.type) {
      case 'job.completed':
        return { status: 'completed' as const, jobId, text: (e.data as PayloadOf<'job.completed'>).result.text };
      case 'job.failed':
        return { status: 'failed' as const, jobId, reason: (e.data as PayloadOf<'job.failed'>).reason };
      case 'job.cancelled':
        return { status: 'cancelled' as const, jobId, reason: (e.data as PayloadOf<'job.cancelled'>).reason };
      default: {
        const line = describe(e);
        if (line) report(line);
        return null;
      }
    }
  }

  private async cancel(ownerId: string, jobId: string): Promise<JobOutcome> {
    const reason = 'cancelled by the MCP client';
    try {
      await this.jobs.cancel(ownerId, jobId, reason);
    } catch (e) {
      // Already ended: the caller is gone anyway; anything else is worth a line in the log.
      if (!(e instanceof WizError && e.code === 'conflict')) this.log.warn(`cancelling job ${jobId}: ${String(e)}`);
    }
    return { status: 'cancelled', jobId, reason };
  }
}

/** The progress line of an event, or null for events a caller need not hear about. */
function describe(e: EventEnvelope): string | null {
  switch (e.type) {
    case 'job.active':
      return `running (attempt ${(e.data as PayloadOf<'job.active'>).attempt})`;
    case 'job.progress':
      return `${(e.data as PayloadOf<'job.progress'>).progress}% done`;
    case 'job.retrying':
      return `retrying: ${(e.data as PayloadOf<'job.retrying'>).error}`;
    case 'job.waiting-children':
      return 'waiting for delegated work';
    case 'agent.step': {
      const d = e.data as PayloadOf<'agent.step'>;
      return `step ${d.step}: ${d.phase}`;
    }
    case 'tool.called':
      return `calling ${(e.data as PayloadOf<'tool.called'>).tool}`;
    default:
      return null;
  }
}
