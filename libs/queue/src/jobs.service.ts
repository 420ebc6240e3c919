import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CreateJob, Job, notFound, WizError } from '@wiz/contracts';
import { BusService } from '@wiz/bus';
import { AgentsRepository, JobEntity, JobsRepository } from '@wiz/persistence';
import { makeEvent } from './events';
import { toJob } from './job.mapper';
import { StateChanges } from './state-changes.service';

// What clients do with jobs: submit and read. This is also the bus interface the benchmark drives.
@Injectable()
export class JobsService {
  constructor(
    private readonly agents: AgentsRepository,
    private readonly jobs: JobsRepository,
    private readonly changes: StateChanges,
    private readonly bus: BusService,
  ) {}

  async submit(ownerId: string, body: CreateJob, traceId: string = randomUUID()): Promise<Job> {
    const agent = await this.agents.findById(ownerId, body.agentId);
    if (!agent) throw notFound('agent', body.agentId);
    if (agent.status === 'inactive') {
      throw new WizError('conflict', `agent ${agent.id} is inactive; set its status to "active" to give it jobs`);
    }
    const now = new Date();
    const job = Object.assign(new JobEntity(), {
      id: randomUUID(),
      ownerId,
      agentId: agent.id,
      status: 'queued',
      input: body.input,
      data: body.data ?? null,
      parentJobId: null,
      dependsOn: [],
      priority: 0,
      attempts: 0,
      maxAttempts: 1,
      progress: 0,
      result: null,
      failureReason: null,
      traceId,
      revision: 0,
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      finishedAt: null,
    } satisfies JobEntity);
    await this.changes.commit(async (m, emit) => {
      await this.jobs.insert(job, m);
      const ids = { agentId: agent.id, jobId: job.id, traceId };
      emit.event(makeEvent('job.created', ids, { status: 'queued', input: job.input }));
      emit.command(
        this.bus.names.mailboxSubject(agent.partition, agent.id),
        { kind: 'job.run', jobId: job.id, agentId: agent.id, ownerId, traceId },
        `run:${job.id}:1`,
      );
    });
    return toJob(job);
  }

  async get(ownerId: string, id: string): Promise<Job> {
    const job = await this.jobs.findById(ownerId, id);
    if (!job) throw notFound('job', id);
    return toJob(job);
  }
}
