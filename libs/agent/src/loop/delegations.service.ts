import { carriedContext, context } from '@wiz/telemetry';
import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AwaitedChild, isTerminal } from '@wiz/contracts';
import { JobEntity, JobsRepository } from '@wiz/persistence';
import { Emit, JobExecutionService, JobsService } from '@wiz/queue';
import { ParkRequest } from '../tools/tool';
import type { ContextState } from './context.store';
import { Pending, setTrace } from './step-record';

/** An awaited child's outcome, as the result of the tool call that asked for it. */
export interface ChildOutcome {
  awaited: AwaitedChild;
  value: { status: string; agent: string; answer?: string; error?: string };
}

// The two halves of delegation: park the job on the children its model
// asked for (created in the same transaction), and collect their outcomes when it runs again.
@Injectable()
export class DelegationsService {
  private readonly log = new Logger('Delegations');

  constructor(
    private readonly jobs: JobsRepository,
    private readonly jobsService: JobsService,
    private readonly execution: JobExecutionService,
  ) {}

  /**
   * Parks `job`: creates the children of `requests`, writes the caller's context (`write`), and
   * moves the job to `waiting-children`, in one transaction. False: the job had moved (cancelled).
   */
  park(
    job: JobEntity,
    requests: readonly ParkRequest[],
    wakeAt: Date | null,
    write: (m: EntityManager, emit: Emit) => Promise<void>,
    on: 'children' | 'input' = 'children',
  ): Promise<boolean> {
    return this.execution.park(
      job,
      wakeAt,
      async (m, emit) => {
        for (const r of requests) {
          // Created in the context of the tool call that asked for it: the child's run is its child span.
          await context.with(carriedContext(r) ?? context.active(), () =>
            this.jobsService.createIn(
              r.target,
              { agentId: r.target.id, input: r.input, data: r.data ?? undefined, parentJobId: job.id },
              job.traceId,
              m,
              emit,
              { id: r.childJobId },
            ),
          );
        }
        await write(m, emit);
      },
      on,
    );
  }

  /**
   * The outcomes of the awaited children that ended, and the ones still running. An ask whose
   * deadline passed ends as `timed-out` and its child is cancelled (its answer would come to
   * nobody; a late finish then cannot wake this job again).
   */
  async collect(
    job: JobEntity,
    awaiting: readonly AwaitedChild[],
    now = Date.now(),
  ): Promise<{ done: ChildOutcome[]; waiting: AwaitedChild[] }> {
    const done: ChildOutcome[] = [];
    const waiting: AwaitedChild[] = [];
    for (const a of awaiting) {
      const child = await this.jobs.findById(job.ownerId, a.childJobId);
      const agent = a.agentName;
      if (!child)
        done.push({ awaited: a, value: { status: 'failed', agent, error: `the job for ${agent} no longer exists` } });
      else if (child.status === 'completed')
        done.push({ awaited: a, value: { status: 'completed', agent, answer: child.result?.text ?? '' } });
      else if (isTerminal(child.status))
        done.push({ awaited: a, value: { status: child.status, agent, error: child.failureReason ?? child.status } });
      else if (a.deadline && Date.parse(a.deadline) <= now) {
        const secs = Math.round((Date.parse(a.deadline) - child.createdAt.getTime()) / 1_000);
        await this.jobsService
          .cancel(job.ownerId, child.id, `the asking job ${job.id} stopped waiting (ask_agent timeout)`)
          .catch((e) => {
            this.log.debug(`cancelling timed-out child ${child.id}: ${String(e)}`);
          });
        done.push({
          awaited: a,
          value: {
            status: 'timed-out',
            agent,
            error: `no answer from ${agent} within ${secs} s; the question was withdrawn`,
          },
        });
      } else waiting.push(a);
    }
    return { done, waiting };
  }
}

/** The earliest deadline among awaited children (ask_agent), when the parked job wakes anyway. */
export function wakeAtOf(awaiting: readonly { deadline: string | null }[]): Date | null {
  const times = awaiting.filter((a) => a.deadline).map((a) => Date.parse(a.deadline!));
  return times.length ? new Date(Math.min(...times)) : null;
}

/** The record of a delegation the job parks on. */
export const awaitedOf = (r: ParkRequest): AwaitedChild => ({
  toolCallId: r.toolCallId,
  tool: r.tool,
  childJobId: r.childJobId,
  agentId: r.target.id,
  agentName: r.target.name,
  deadline: r.deadline?.toISOString() ?? null,
});

/** Children's outcomes into the context (tool results, traces) and their `tool.result` events. */
export function applyOutcomes(s: ContextState, done: readonly ChildOutcome[]): Pending[] {
  patchToolResults(
    s.messages,
    done.map((d) => ({ toolCallId: d.awaited.toolCallId, value: d.value })),
  );
  return done.map(({ awaited, value }): Pending => {
    const error = value.status === 'completed' ? undefined : value.error;
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

/**
 * The placeholder result of each awaited tool call replaced by the child's outcome. The messages
 * that change are replaced, not mutated (the saved context's lists only grow, see ContextStore).
 */
export function patchToolResults(
  messages: unknown[],
  outcomes: readonly { toolCallId: string; value: unknown }[],
): void {
  const byId = new Map(outcomes.map((o) => [o.toolCallId, o.value]));
  type Part = { type: string; toolCallId?: string; output?: unknown };
  const valueOf = (part: Part) =>
    part.type === 'tool-result' && part.toolCallId ? byId.get(part.toolCallId) : undefined;
  messages.forEach((m, i) => {
    const msg = m as { role: string; content: unknown };
    if (msg.role !== 'tool' || !Array.isArray(msg.content)) return;
    const parts = msg.content as Part[];
    if (!parts.some((p) => valueOf(p) !== undefined)) return;
    const content = parts.map((p) => {
      const value = valueOf(p);
      return value === undefined ? p : { ...p, output: { type: 'json', value } };
    });
    messages[i] = { ...msg, content };
  });
}
