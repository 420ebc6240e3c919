import { BeforeApplicationShutdown, Injectable, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import {
  ApprovalDecision,
  ApprovalPolicies,
  ApprovalListQuery,
  clip,
  isTerminal,
  JobInput,
  notFound,
  Wait,
  WaitResolution,
  WaitStatus,
  WizError,
} from '@wiz/contracts';
import { BusService, OwnerCache } from '@wiz/bus';
import { JobEntity, JobsRepository, JobWaitEntity, JobWaitsRepository } from '@wiz/persistence';
import { makeEvent } from '../events';
import { JobFlowService, jobIds } from '../job-flow.service';
import { Emit, StateChangesService } from '../state-changes.service';
import { toWait } from './wait.mapper';

/** Runs in the park's transaction once a job's waits are recorded (e.g. to ask in its conversation). */
export type WaitsRequestedHook = (
  job: JobEntity,
  rows: readonly JobWaitEntity[],
  m: EntityManager,
  emit: Emit,
) => Promise<void>;

const conflict = (msg: string) => new WizError('conflict', msg);
const invalid = (msg: string, details?: unknown) => new WizError('validation_failed', msg, details);

// How people and the outside world answer a parked `waiting-input` job: an approval's decision,
// a question's answer, a signal, a steering message. Each resolution is a compare-and-set on its
// wait row (decided once: a second decision is a 409 and changes nothing), committed with its
// event and, when the job has nothing else pending, the job's wake-up (a new mailbox command).
@Injectable()
export class JobWaitsService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly requestedHooks: WaitsRequestedHook[] = [];
  /** Each owner's approval policies, read by every job (see OwnerCache). */
  private readonly approvalsOf: OwnerCache<ApprovalPolicies | null>;

  constructor(
    private readonly waits: JobWaitsRepository,
    private readonly jobs: JobsRepository,
    private readonly changes: StateChangesService,
    private readonly flow: JobFlowService,
    bus: BusService,
  ) {
    this.approvalsOf = new OwnerCache(
      bus,
      'approvals',
      async (ownerId) => (await waits.ownerPolicies(ownerId))?.approvals ?? null,
    );
  }

  beforeApplicationShutdown(): void {
    this.approvalsOf.close();
  }

  onModuleInit(): void {
    // A job that ends while it waits (cancelled, or failed) leaves no wait pending: a late
    // decision is then a 409, and the lists show what happened.
    this.flow.onSettled(async (job, m) => {
      if (job.status === 'completed') return;
      const at = new Date().toISOString();
      const comment = job.failureReason ?? `the job was ${job.status}`;
      await this.waits.closePending(job.ownerId, job.id, { by: 'system', at, decision: 'cancel', comment }, m);
    });
  }

  onRequested(hook: WaitsRequestedHook): void {
    this.requestedHooks.push(hook);
  }

  /** The park's side: the job's new waits are recorded (in `m`). */
  async requested(job: JobEntity, rows: readonly JobWaitEntity[], m: EntityManager, emit: Emit): Promise<void> {
    for (const hook of this.requestedHooks) await hook(job, rows, m, emit);
  }

  async ownerPolicies(ownerId: string): Promise<{ approvals: ApprovalPolicies }> {
    return { approvals: (await this.ownerApprovals(ownerId)) ?? {} };
  }

  /** The owner's approval policies (none set: null), as a job's run reads them. */
  ownerApprovals(ownerId: string): Promise<ApprovalPolicies | null> {
    return this.approvalsOf.get(ownerId);
  }

  async setOwnerPolicies(ownerId: string, approvals: ApprovalPolicies): Promise<{ approvals: ApprovalPolicies }> {
    await this.waits.saveOwnerPolicies({ ownerId, approvals, updatedAt: new Date() });
    this.approvalsOf.changed(ownerId);
    return { approvals };
  }

  async listApprovals(ownerId: string, q: ApprovalListQuery): Promise<{ items: Wait[] }> {
    return { items: (await this.waits.list(ownerId, { ...q, kind: 'approval' })).map(toWait) };
  }

  async getApproval(ownerId: string, id: string): Promise<Wait> {
    const row = await this.waits.findById(ownerId, id);
    if (row?.kind !== 'approval') throw notFound('approval', id);
    return toWait(row);
  }

  async decide(ownerId: string, id: string, body: ApprovalDecision, by: string): Promise<Wait> {
    const row = await this.waits.findById(ownerId, id);
    if (row?.kind !== 'approval') throw notFound('approval', id);
    if (row.status !== 'pending') throw conflict(`approval ${id} is already ${row.status}`);
    let args: unknown = undefined;
    if (body.decision === 'edit') {
      if (!body.arguments) throw invalid('an edit needs `arguments`');
      args = checkArguments(row, body.arguments);
    } else if (body.arguments) throw invalid('`arguments` go with the decision `edit`');
    const resolution: WaitResolution = {
      by,
      at: new Date().toISOString(),
      decision: body.decision,
      ...(args !== undefined && { arguments: args }),
      ...(body.comment !== undefined && { comment: body.comment }),
    };
    const status: WaitStatus = body.decision === 'reject' ? 'rejected' : 'approved';
    return this.resolve(row, status, resolution, (job, emit) =>
      emit.event(makeEvent('approval.resolved', jobIds(job), { approvalId: row.id, tool: row.tool, resolution })),
    );
  }

  /** The answer to the job's pending question (`waitId` picks one when it asks several). */
  async answer(ownerId: string, jobId: string, body: JobInput, by: string): Promise<Wait> {
    await this.job(ownerId, jobId);
    const pending = (await this.waits.pendingOf(ownerId, jobId, 'question')).filter(
      (w) => !body.waitId || w.id === body.waitId,
    );
    if (!pending.length) throw conflict(`job ${jobId} is not waiting for an answer`);
    if (pending.length > 1) throw invalid('the job asks several questions: give `waitId`');
    const row = pending[0];
    if (row.choices?.length && !row.choices.includes(body.answer))
      throw invalid(`the answer must be one of: ${row.choices.join(', ')}`);
    return this.answerWith(row, body.answer, by);
  }

  /** Resolves a question row (REST or a conversation reply). */
  answerWith(row: JobWaitEntity, answer: string, by: string): Promise<Wait> {
    const resolution: WaitResolution = { by, at: new Date().toISOString(), decision: 'answer', answer };
    return this.resolve(row, 'answered', resolution, (job, emit) =>
      emit.event(makeEvent('input.resolved', jobIds(job), { waitId: row.id, kind: row.kind, resolution })),
    );
  }

  /** Delivers signal `name` to the job's waits for it. */
  async signal(ownerId: string, jobId: string, name: string, payload: unknown, by: string): Promise<Wait[]> {
    await this.job(ownerId, jobId);
    const pending = (await this.waits.pendingOf(ownerId, jobId, 'signal')).filter((w) => w.signal === name);
    if (!pending.length) throw conflict(`job ${jobId} is not waiting for signal ${name}`);
    const resolution: WaitResolution = { by, at: new Date().toISOString(), decision: 'signal', payload };
    const out: Wait[] = [];
    for (const row of pending) {
      out.push(
        await this.resolve(row, 'signalled', resolution, (job, emit) =>
          emit.event(makeEvent('input.resolved', jobIds(job), { waitId: row.id, kind: row.kind, resolution })),
        ),
      );
    }
    return out;
  }

  /** A person's message to a running or parked job: the agent reads it at its next model step. */
  async steer(ownerId: string, jobId: string, text: string, by: string): Promise<{ id: string; jobId: string }> {
    const job = await this.job(ownerId, jobId);
    if (isTerminal(job.status)) throw conflict(`job ${jobId} is ${job.status}`);
    const id = randomUUID();
    await this.changes.commit(async (m, emit) => {
      await this.waits.addSteer({ id, ownerId, jobId, text, by, createdAt: new Date(), consumedAt: null }, m);
      emit.event(makeEvent('job.steered', jobIds(job), { steerId: id, text: clip(text, 2_000), by, consumed: false }));
    }, job.agentId);
    return { id, jobId };
  }

  /**
   * The runtime's side: a wait whose deadline passed, in the resuming job's transaction. False:
   * it was resolved first (the decision stands).
   */
  async expire(row: JobWaitEntity, job: JobEntity, m: EntityManager, emit: Emit): Promise<boolean> {
    const resolution: WaitResolution = { by: 'timeout', at: new Date().toISOString(), decision: 'expire' };
    if (!(await this.waits.resolve(row.ownerId, row.id, 'expired', resolution, m))) return false;
    Object.assign(row, { status: 'expired', resolution, resolvedAt: new Date(resolution.at) });
    emit.event(
      row.kind === 'approval'
        ? makeEvent('approval.expired', jobIds(job), { approvalId: row.id, tool: row.tool, outcome: row.onTimeout })
        : makeEvent('input.resolved', jobIds(job), { waitId: row.id, kind: row.kind, resolution }),
    );
    return true;
  }

  private async job(ownerId: string, jobId: string): Promise<JobEntity> {
    const job = await this.jobs.findById(ownerId, jobId);
    if (!job) throw notFound('job', jobId);
    return job;
  }

  private async resolve(
    row: JobWaitEntity,
    status: WaitStatus,
    resolution: WaitResolution,
    event: (job: JobEntity, emit: Emit) => void,
  ): Promise<Wait> {
    await this.changes.commit(async (m, emit) => {
      if (!(await this.waits.resolve(row.ownerId, row.id, status, resolution, m)))
        throw conflict(`${row.kind} ${row.id} was resolved meanwhile`);
      const job = await this.jobs.lockById(row.ownerId, row.jobId, m);
      if (!job) return;
      event(job, emit);
      if (job.status === 'waiting-input' && (await this.waits.countPending(row.ownerId, row.jobId, m)) === 0)
        await this.flow.wake(job, m, emit);
    }, row.agentId);
    return toWait(Object.assign(row, { status, resolution, resolvedAt: new Date(resolution.at) }));
  }
}

// An edit's arguments against the tool's input schema (stored with the wait: the gateway does
// not load tools), so a bad edit is a 400 rather than a tool error later.
function checkArguments(row: JobWaitEntity, args: Record<string, unknown>): unknown {
  if (!row.inputSchema) return args;
  const parsed = z.fromJSONSchema(row.inputSchema as never).safeParse(args);
  if (!parsed.success)
    throw invalid(`the arguments do not fit ${row.tool}: ${z.prettifyError(parsed.error)}`, parsed.error.issues);
  return args;
}
