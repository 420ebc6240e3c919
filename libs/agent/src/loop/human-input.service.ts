import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AwaitedInput } from '@wiz/contracts';
import { AgentEntity, JobEntity, JobSteerEntity, JobWaitEntity, JobWaitsRepository } from '@wiz/persistence';
import { Emit, JobWaitsService, jobIds, makeEvent, StateChangesService } from '@wiz/queue';
import type { InputRequest, RunPolicies } from '../tools/tool';
import type { ContextState } from './context.store';
import { patchToolResults } from './delegations.service';
import { Pending, setTrace } from './step-record';

/** A wait's outcome, as the result of the tool call that asked for it. */
export interface InputOutcome {
  awaited: AwaitedInput;
  value: unknown;
  error?: string;
}

/** Runs an approved call: the tool's result. */
export type RunApproved = (row: JobWaitEntity, args: unknown) => Promise<unknown>;

// The run's side of human in the loop: record the waits a step asked for (with the park), and
// when the job runs again turn their resolutions into tool results (an approved call runs now,
// a rejected one reads `rejected: <comment>`, a wait past its deadline expires). Also the
// steering messages people add to a job.
@Injectable()
export class HumanInputService {
  constructor(
    private readonly waits: JobWaitsRepository,
    private readonly resolver: JobWaitsService,
    private readonly changes: StateChangesService,
  ) {}

  async policiesOf(agent: AgentEntity): Promise<RunPolicies> {
    return { agent: agent.approvals ?? null, owner: await this.resolver.ownerApprovals(agent.ownerId) };
  }

  /** The wait rows of `requests` and their events, in the park's transaction. */
  async record(job: JobEntity, requests: readonly InputRequest[], m: EntityManager, emit: Emit): Promise<void> {
    const now = new Date();
    const rows = requests.map((r) =>
      Object.assign(new JobWaitEntity(), {
        id: r.waitId,
        ownerId: job.ownerId,
        jobId: job.id,
        agentId: job.agentId,
        conversationId: job.conversationId,
        kind: r.kind,
        status: 'pending',
        toolCallId: r.toolCallId,
        tool: r.tool,
        arguments: r.arguments,
        inputSchema: r.inputSchema,
        reason: r.reason,
        choices: r.choices,
        signal: r.signal,
        deadline: r.deadline,
        onTimeout: r.onTimeout,
        resolution: null,
        createdAt: now,
        resolvedAt: null,
      }),
    );
    await this.waits.insert(rows, m);
    for (const r of requests) {
      const deadline = r.deadline?.toISOString() ?? null;
      emit.event(
        r.kind === 'approval'
          ? makeEvent('approval.requested', jobIds(job), {
              approvalId: r.waitId,
              tool: r.tool,
              arguments: r.arguments,
              reason: r.reason,
              deadline,
              onTimeout: r.onTimeout,
            })
          : makeEvent('input.requested', jobIds(job), {
              waitId: r.waitId,
              kind: r.kind,
              ...(r.kind === 'question' ? { question: r.reason } : { signal: r.signal ?? '' }),
              ...(r.choices && { choices: r.choices }),
              deadline,
            }),
      );
    }
    await this.resolver.requested(job, rows, m, emit);
  }

  /** The outcomes of the resolved (or expired) waits, and the ones still pending. */
  async collect(
    job: JobEntity,
    awaiting: readonly AwaitedInput[],
    runApproved: RunApproved,
    now = Date.now(),
  ): Promise<{ done: InputOutcome[]; waiting: AwaitedInput[] }> {
    const rows = new Map(
      (
        await this.waits.findByIds(
          job.ownerId,
          awaiting.map((a) => a.waitId),
        )
      ).map((r) => [r.id, r]),
    );
    const done: InputOutcome[] = [];
    const waiting: AwaitedInput[] = [];
    for (const a of awaiting) {
      const row = rows.get(a.waitId);
      if (!row) {
        done.push({
          awaited: a,
          value: { error: 'the request no longer exists' },
          error: 'the request no longer exists',
        });
        continue;
      }
      if (row.status === 'pending') {
        if (!row.deadline || row.deadline.getTime() > now) {
          waiting.push(a);
          continue;
        }
        // Past its deadline: expire it (a decision that landed first stands: read it again).
        const expired = await this.changes.commit((m, emit) => this.resolver.expire(row, job, m, emit), job.agentId);
        if (!expired) Object.assign(row, await this.waits.findById(job.ownerId, row.id));
      }
      done.push(await outcomeOf(a, row, runApproved));
    }
    return { done, waiting };
  }

  unconsumedSteers(job: JobEntity): Promise<JobSteerEntity[]> {
    return this.waits.unconsumedSteers(job.ownerId, job.id);
  }

  hasSteers(job: JobEntity): Promise<boolean> {
    return this.waits.hasUnconsumedSteers(job.ownerId, job.id);
  }

  consumeSteers(ids: readonly string[], m: EntityManager): Promise<void> {
    return this.waits.consumeSteers(ids, new Date(), m);
  }
}

async function outcomeOf(a: AwaitedInput, row: JobWaitEntity, runApproved: RunApproved): Promise<InputOutcome> {
  const r = row.resolution;
  const secs = row.deadline ? Math.round((row.deadline.getTime() - row.createdAt.getTime()) / 1_000) : 0;
  switch (row.status) {
    case 'approved':
      return { awaited: a, value: await runApproved(row, r?.arguments ?? row.arguments) };
    case 'rejected': {
      const value = `rejected: ${r?.comment ?? 'no reason given'}`;
      return { awaited: a, value, error: value };
    }
    case 'answered':
      return { awaited: a, value: { answer: r?.answer ?? '' } };
    case 'signalled':
      return { awaited: a, value: { signal: row.signal, payload: r?.payload ?? null } };
    default: {
      if (row.kind === 'approval') {
        if (row.onTimeout === 'approve') return { awaited: a, value: await runApproved(row, row.arguments) };
        const value = `rejected: no decision within ${secs} s`;
        return { awaited: a, value, error: value };
      }
      const error =
        row.kind === 'question' ? `no answer within ${secs} s` : `signal ${row.signal} did not come within ${secs} s`;
      return { awaited: a, value: { status: 'timed-out', error, ...(row.signal && { signal: row.signal }) }, error };
    }
  }
}

/** Waits' outcomes into the context (tool results, traces) and their `tool.result` events. */
export function applyInputs(s: ContextState, done: readonly InputOutcome[]): Pending[] {
  patchToolResults(
    s.messages,
    done.map((d) => ({ toolCallId: d.awaited.toolCallId, value: d.value })),
  );
  return done.map(({ awaited, value, error }): Pending => {
    const trace = setTrace(s, awaited.toolCallId, { result: value, ...(error ? { error } : {}) });
    return [
      'tool.result',
      {
        step: trace?.step ?? s.steps,
        toolCallId: awaited.toolCallId,
        tool: awaited.tool,
        result: value,
        ...(error ? { error } : {}),
      },
    ];
  });
}

export const awaitedInputOf = (r: InputRequest): AwaitedInput => ({
  toolCallId: r.toolCallId,
  tool: r.tool,
  waitId: r.waitId,
  kind: r.kind,
  deadline: r.deadline?.toISOString() ?? null,
});
