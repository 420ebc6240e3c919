import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  CreateJobSchema,
  EventType,
  Execute,
  isUuid,
  Job,
  notFound,
  parseOrThrow,
  ServerFrame,
  Topic,
} from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { JobsService } from '@wiz/queue';
import { EventClient, EventsHub } from '../events/events.hub';

const ENDS: ReadonlySet<EventType> = new Set(['job.completed', 'job.failed', 'job.cancelled']);

export interface Executed {
  /** True when the job ended within the wait (200); false: it is still running (202). */
  ended: boolean;
  job: Job;
}

// `POST /api/v1/agents/:id/execute`: submits a job and waits for it to end, from the events
// stream (so it works whichever runtime runs the job and whichever gateway the client hit).
// The wait starts from the stream position before the submission: the job's end can never
// slip between the submission and the subscription.
@Injectable()
export class ExecuteService {
  constructor(
    private readonly jobs: JobsService,
    private readonly hub: EventsHub,
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
  ) {}

  async execute(ownerId: string, agentId: string, body: Execute): Promise<Executed> {
    if (!isUuid(agentId)) throw notFound('agent', agentId);
    const { waitMs = this.config.WIZ_EXECUTE_TIMEOUT_MS, ...options } = body;
    const from = this.hub.lastSeq;
    const job = await this.jobs.submit(ownerId, parseOrThrow(CreateJobSchema, { ...options, agentId }));
    const ended = await this.waitForEnd(ownerId, job.id, from, waitMs);
    return { ended, job: ended ? await this.jobs.get(ownerId, job.id) : job };
  }

  private async waitForEnd(ownerId: string, jobId: string, from: number, waitMs: number): Promise<boolean> {
    let done!: (ended: boolean) => void;
    const ended = new Promise<boolean>((resolve) => (done = resolve));
    const client: EventClient = {
      id: randomUUID(),
      ownerId,
      send: (f: ServerFrame) => {
        if (f.type === 'event' && ENDS.has(f.event.type)) done(true);
      },
      writable: () => Promise.resolve(true),
    };
    const timer = setTimeout(() => done(false), waitMs);
    try {
      // The server's own short replay (one job, from just before it was submitted): not a client's.
      await this.hub.subscribe(client, `job:${jobId}` as Topic, from, { limitReplays: false });
      return await ended;
    } finally {
      clearTimeout(timer);
      this.hub.drop(client);
    }
  }
}
