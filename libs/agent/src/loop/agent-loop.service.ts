import { Inject, Injectable } from '@nestjs/common';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { Deadline, LlmCallError, LlmService, PriceTable } from '@wiz/llm';
import { AgentEntity, JobEntity } from '@wiz/persistence';
import { JobExecutionService } from '@wiz/queue';
import { ToolBox } from '../tools/tool-box';
import { BudgetExceeded, budgetReason, limitsOf } from './budget';
import { DelegationsService } from './delegations.service';
import { HumanInputService } from './human-input.service';
import { LiveEvents } from './live-events';
import { LoopRun } from './run/loop-run';
import type { FinishedOutcome, LoopOutcome } from './run/loop-outcome';
import { RunJournalService } from './run/run-journal.service';
import type { RunDeps } from './run/run-state';
import { SteerWatch } from './steer-watch';

export type { FinishedOutcome, LoopOutcome, Write } from './run/loop-outcome';

// Runs the agent loop of one job (LoopRun, one method per phase) within the agent's budgets
// (wall time, the job's timeout, cancellation), and maps how it ended to an outcome.
@Injectable()
export class AgentLoopService {
  private readonly deps: RunDeps;

  constructor(
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly llm: LlmService,
    private readonly journal: RunJournalService,
    execution: JobExecutionService,
    live: LiveEvents,
    delegations: DelegationsService,
    private readonly human: HumanInputService,
    private readonly toolBox: ToolBox,
    private readonly steers: SteerWatch,
  ) {
    this.deps = {
      llm,
      journal,
      execution,
      live,
      delegations,
      human,
      toolBox,
      tokenBatchMs: config.WIZ_TOKEN_BATCH_MS,
      prices: new PriceTable(config.WIZ_MODEL_PRICES),
      traceContent: config.WIZ_TRACE_CONTENT,
      budgetStop: (ownerId, agentId, counted) => journal.budgetStop(ownerId, agentId, counted),
    };
  }

  /** `hints.steered`: whether a steering message waited when the job was read (unknown: read them). */
  async run(
    job: JobEntity,
    agent: AgentEntity,
    cancel: AbortSignal,
    hints: { steered?: boolean } = {},
  ): Promise<LoopOutcome> {
    const limits = limitsOf(agent.loop ?? {}, this.config);
    const budget = new AbortController();
    const wall = setTimeout(
      () => budget.abort(new BudgetExceeded(budgetReason.wall(limits.maxWallMs))),
      limits.maxWallMs,
    );
    // A held timer, not AbortSignal.timeout: see Deadline.
    const jobDeadline = job.timeoutMs ? new Deadline(job.timeoutMs) : undefined;
    const timeout = jobDeadline?.signal;
    const signal = AbortSignal.any([cancel, budget.signal, ...(timeout ? [timeout] : [])]);
    // The job's read that started the run told whether steering messages waited (when it says).
    const steering = this.steers.watch(job, hints.steered === undefined ? 0 : Date.now());
    let run: LoopRun | undefined;
    try {
      const [[ctx, state], model, policies, tools] = await Promise.all([
        this.journal.load(job, agent),
        this.llm.resolve(job.ownerId, agent.model),
        this.human.policiesOf(agent),
        this.toolBox.toolsFor(agent),
      ]);
      run = new LoopRun(this.deps, {
        job,
        agent,
        ctx,
        state,
        model,
        limits,
        signal,
        budget,
        policies,
        tools,
        steering,
        ...hints,
      });
      const outcome = await run.drive();
      if ('parked' in outcome) return outcome;
      if (!run.promoted) await run.conclude(outcome);
      return { ...outcome, write: run.final };
    } catch (e) {
      const reason = budget.signal.aborted
        ? (budget.signal.reason as Error).message
        : e instanceof BudgetExceeded
          ? e.message
          : undefined;
      if (reason || timeout?.aborted || e instanceof LlmCallError) {
        const outcome: FinishedOutcome = reason
          ? { ok: false, reason, retryable: false }
          : timeout?.aborted
            ? { ok: false, reason: `timed out after ${job.timeoutMs} ms`, retryable: true }
            : { ok: false, reason: (e as Error).message, retryable: true };
        if (run && !cancel.aborted) await run.conclude(outcome);
        return { ...outcome, write: run?.final };
      }
      throw e;
    } finally {
      steering.end();
      clearTimeout(wall);
      jobDeadline?.clear();
    }
  }

  /** The job's end was committed (`stored`) or its fate is unknown (see AgentMemoryService.settled). */
  settled(agentId: string, stored: boolean): void {
    this.journal.settled(agentId, stored);
  }

  /** The loop's last save, when the job is not completed or failed after it (cancelled). */
  async flush(outcome: LoopOutcome): Promise<void> {
    if ('write' in outcome && outcome.write) await this.journal.commit(outcome.write);
  }
}
