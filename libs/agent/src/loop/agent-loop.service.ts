import { Inject, Injectable } from '@nestjs/common';
import { AISDKError, generateText, hasToolCall, LanguageModelUsage, ModelMessage, streamText } from 'ai';
import { JobResult, PlanSchema, ValidationVerdict, ValidationVerdictSchema } from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import {
  cleanModelText,
  Deadline,
  DeadlineExceeded,
  raceAbort,
  untilAborted,
  isContextTooLong,
  LlmCallError,
  LlmService,
  ResolvedModel,
} from '@wiz/llm';
import { UrlRefused } from '@wiz/net';
import { AgentEntity, AgentStateEntity, JobEntity } from '@wiz/persistence';
import type { EntityManager } from 'typeorm';
import { Emit, JobExecution, jobIds, makeEvent, StateChanges } from '@wiz/queue';
import { systemPromptOf, taskText } from '../persona';
import { AgentMemory } from './agent-memory.service';
import { BudgetExceeded, budgetReason, Limits, limitsOf } from './budget';
import { ContextStore, LiveContext } from './context.store';
import { LiveEvents, TokenBatcher } from './live-events';
import * as P from './prompts';
import { summariesOf, toolsFor } from '../tools/registry';
import { ParkRequest, WizTool } from '../tools/tool';
import { applyOutcomes, awaitedOf, Delegations, wakeAtOf } from './delegations.service';
import { clip, Pending, recordStep, usageOf } from './step-record';

/**
 * `write`: the loop's last save (context, events, promotion into long-term memory), for the
 * runner to commit in the transaction that completes or fails the job (one fewer per job).
 */
export type FinishedOutcome = ({ ok: true; result: JobResult } | { ok: false; reason: string; retryable: boolean }) & {
  write?: Write;
};
/** Or the job parked on child jobs (delegation): it is `waiting-children`, its agent free. */
export type LoopOutcome = FinishedOutcome | { ok?: undefined; parked: true };

export type Write = (m: EntityManager, emit: Emit) => Promise<void>;

interface Run {
  job: JobEntity;
  agent: AgentEntity;
  ctx: LiveContext;
  model: ResolvedModel;
  limits: Limits;
  system: string;
  memory: string;
  state: AgentStateEntity | null;
  task: string;
  signal: AbortSignal;
  budget: AbortController;
  /** Events to write with the next context save. */
  pending: Pending[];
  /** The job's outcome went into long-term memory (with the save that ended the loop). */
  promoted: boolean;
  /** The tools this agent may use. */
  tools: WizTool[];
  /** Delegations asked for in the current step: the run parks after it. */
  parking: ParkRequest[];
  /** The save that ends the loop, left to the runner's completion (see FinishedOutcome). */
  final?: Write;
}

// The agent loop for one job: plan (criteria + steps) → act (model with tools, many steps,
// streamed) → self-validate → iterate or finish, within the agent's budgets. The context is
// saved after every phase and model step, with that step's events, in one transaction; a job
// redelivered after a crash continues from it.
@Injectable()
export class AgentLoop {
  constructor(
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly llm: LlmService,
    private readonly contexts: ContextStore,
    private readonly memories: AgentMemory,
    private readonly changes: StateChanges,
    private readonly execution: JobExecution,
    private readonly live: LiveEvents,
    private readonly delegations: Delegations,
  ) {}

  async run(job: JobEntity, agent: AgentEntity, cancel: AbortSignal): Promise<LoopOutcome> {
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
    let run: Run | undefined;
    try {
      const [ctx, state, model] = await Promise.all([
        this.contexts.load(job),
        this.memories.load(agent),
        this.resolve(job, agent),
      ]);
      this.contexts.resume(job, ctx);
      run = this.prepare(job, agent, ctx, state, model, limits, signal, budget);
      const outcome = await this.drive(run);
      if ('parked' in outcome) return outcome;
      if (!run.promoted) await this.conclude(run, outcome);
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
        if (run && !cancel.aborted) await this.conclude(run, outcome);
        return { ...outcome, write: run?.final };
      }
      throw e;
    } finally {
      clearTimeout(wall);
      jobDeadline?.clear();
    }
  }

  private prepare(
    job: JobEntity,
    agent: AgentEntity,
    ctx: LiveContext,
    state: AgentStateEntity | null,
    model: ResolvedModel,
    limits: Limits,
    signal: AbortSignal,
    budget: AbortController,
  ): Run {
    const pending: Pending[] = [];
    const tools = toolsFor(agent.tools ?? null);
    const system = systemPromptOf(agent, summariesOf(tools));
    const task = taskText(job.input, job.data);
    return {
      job,
      agent,
      ctx,
      model,
      limits,
      system,
      memory: P.memorySection(state),
      state,
      task,
      signal,
      budget,
      pending,
      promoted: false,
      tools,
      parking: [],
    };
  }

  private async drive(run: Run): Promise<LoopOutcome> {
    const s = run.ctx.state;
    if (s.phase === 'plan') {
      if (run.limits.planning) {
        await this.plan(run);
        s.phase = 'act';
        await this.save(run);
      } else {
        s.phase = 'act';
        // Nothing worth a transaction: saved (with the turn to busy) with the first model step.
        s.planNote = 'planning is off for this agent: no self-validation';
      }
    }
    for (;;) {
      if (s.phase === 'act') {
        if (s.awaiting?.length && !(await this.collect(run))) return this.park(run);
        await this.actOrSummarise(run);
        if (run.parking.length) return this.park(run);
      }
      if (s.phase === 'validate') {
        const failed = await this.validate(run);
        if (failed) return failed;
      }
      if (s.phase === 'done') {
        const text = s.partialOutputs[s.partialOutputs.length - 1] ?? '';
        return {
          ok: true,
          result: {
            text,
            model: run.model.modelId,
            finishReason: 'stop',
            usage: { totalTokens: s.tokens },
            steps: s.steps,
            iterations: s.iteration + 1,
          },
        };
      }
    }
  }

  private async plan(run: Run): Promise<void> {
    const s = run.ctx.state;
    const r = await this.call(run, (signal) =>
      generateText({
        ...this.settings(run, signal),
        system: P.withPhase(run.system, run.memory, P.PLAN_INSTRUCTIONS),
        messages: [{ role: 'user', content: run.task }],
      }),
    );
    this.count(run, r.usage);
    const plan = PlanSchema.safeParse(P.extractJson(r.text));
    if (plan.success) s.plan = plan.data;
    else s.planNote = `the model gave no usable plan ("${clip(r.text, 120)}"): working without self-validation`;
    run.pending.push([
      'agent.step',
      { iteration: s.iteration, step: s.steps, phase: 'plan', text: clip(r.text, 2_000), usage: usageOf(r.usage) },
    ]);
  }

  private async actOrSummarise(run: Run): Promise<void> {
    try {
      return await this.act(run);
    } catch (e) {
      if (!isContextTooLong(e) && !(e instanceof LlmCallError && /context window/.test(e.message))) throw e;
      await this.summarise(run);
      return this.act(run);
    }
  }

  // Leaves the context in the next phase (validate or done), saved with the last step.
  private async act(run: Run): Promise<void> {
    const s = run.ctx.state;
    if (s.messages.length === 0)
      s.messages = [{ role: 'user', content: s.plan ? `${run.task}\n\n${P.planSection(s.plan)}` : run.task }];
    const base = s.messages as ModelMessage[];
    const stepsLeft = run.limits.maxSteps - s.steps;
    if (stepsLeft <= 0) throw new BudgetExceeded(budgetReason.steps(run.limits.maxSteps));
    let finished: string | undefined;
    const tokens = new TokenBatcher(
      this.live,
      run.job,
      () => ({ iteration: s.iteration, step: s.steps + 1 }),
      this.config.WIZ_TOKEN_BATCH_MS,
    );
    const reserved = { count: 0 };
    const tools = this.delegations.toolSet(run.tools, {
      job: run.job,
      agent: run.agent,
      state: s,
      parking: run.parking,
      reserved,
      progress: (pct) => this.execution.progress(run.job, pct),
    });
    const deadline = new Deadline(run.model.timeoutMs, run.signal);
    const stream = streamText({
      ...this.settings(run, deadline.signal),
      system: P.withPhase(run.system, run.memory, P.ACT_INSTRUCTIONS),
      messages: base,
      tools,
      // A delegation ends the step's stream: the job parks until the child answers.
      stopWhen: [hasToolCall('finish'), () => run.parking.length > 0, ({ steps }) => steps.length >= stepsLeft],
      onError: () => undefined, // surfaced below as the stream's `error` part
      onStepFinish: async (step) => {
        reserved.count = 0;
        s.messages = [...base, ...step.response.messages];
        finished ??= (
          step.toolCalls.find((c) => c.toolName === 'finish' && !c.invalid)?.input as { answer?: string } | undefined
        )?.answer;
        if (finished !== undefined) run.parking.length = 0; // answered anyway: no one to wait for
        const last = finished !== undefined || step.finishReason !== 'tool-calls';
        tokens.endStep();
        run.pending.push(...recordStep(s, step, !last));
        this.count(run, step.usage);
        if (last)
          this.concludeAct(run, finished ?? step.text, finished !== undefined ? 'finish-tool' : step.finishReason);
        // A parking step is saved with the park (children, context and status in one transaction).
        if (!run.parking.length) await this.save(run);
      },
    });
    try {
      let said = false;
      for await (const part of untilAborted(stream.fullStream, deadline.signal)) {
        if (part.type === 'text-delta' || part.type === 'tool-call') said = true;
        if (part.type === 'text-delta') tokens.push(part.text);
        else if (part.type === 'finish-step' && !said && ['other', 'unknown'].includes(part.finishReason))
          // A 200 whose body is not an OpenAI-compatible stream (an HTML page, a proxy's answer).
          throw new LlmCallError(`model endpoint ${run.model.endpoint} answered without a readable completion`);
        else if (part.type === 'error' || part.type === 'abort')
          throw this.modelError(
            run,
            deadline.expired
              ? deadline.signal.reason
              : part.type === 'error'
                ? part.error
                : (run.signal.reason ?? new Error('aborted')),
          );
      }
    } catch (e) {
      // untilAborted threw the deadline's reason (its own, or the run's it follows).
      throw deadline.signal.aborted && e === deadline.signal.reason ? this.modelError(run, e) : e;
    } finally {
      deadline.clear();
      tokens.flush();
    }
    if (run.parking.length) return;
    // Still acting: the step budget ended the stream while the model wanted to go on.
    if (s.phase === 'act') throw new BudgetExceeded(budgetReason.steps(run.limits.maxSteps));
  }

  private concludeAct(run: Run, answer: string, finishReason: string): void {
    const s = run.ctx.state;
    s.partialOutputs.push(cleanModelText(answer));
    s.phase = s.plan ? 'validate' : 'done';
    s.validationResult = null;
    run.pending.push(['agent.step', { iteration: s.iteration, step: s.steps, phase: 'act', finishReason }]);
  }

  /**
   * Parks the job on the children asked for in the last step (and any still awaited): they are
   * created, the context saved and the job moved to `waiting-children` in one transaction.
   */
  private async park(run: Run): Promise<LoopOutcome> {
    const s = run.ctx.state;
    const requests = run.parking.splice(0);
    s.awaiting = [...(s.awaiting ?? []), ...requests.map(awaitedOf)];
    const events = run.pending.splice(0);
    await this.delegations.park(run.job, requests, wakeAtOf(s.awaiting), async (m, emit) => {
      await this.contexts.save(run.ctx, m);
      for (const [type, data] of events) emit.event(makeEvent(type, jobIds(run.job), data as never));
    });
    return { parked: true };
  }

  /**
   * Resumed from a park: the outcomes of the children that ended become the results of their
   * tool calls (timed-out asks included). False: some are still running (the job parks again,
   * saving what was collected).
   */
  private async collect(run: Run): Promise<boolean> {
    const s = run.ctx.state;
    const { done, waiting } = await this.delegations.collect(run.job, s.awaiting ?? []);
    run.pending.push(...applyOutcomes(s, done));
    s.awaiting = waiting;
    if (waiting.length) return false;
    await this.save(run);
    return true;
  }

  /** Returns a failure when the last allowed iteration did not pass. */
  private async validate(run: Run): Promise<LoopOutcome | undefined> {
    const s = run.ctx.state;
    const plan = s.plan!;
    const answer = s.partialOutputs[s.partialOutputs.length - 1] ?? '';
    const r = await this.call(run, (signal) =>
      generateText({
        ...this.settings(run, signal),
        system: P.withPhase(run.system, run.memory, P.VALIDATE_INSTRUCTIONS),
        messages: [{ role: 'user', content: P.validationRequest(run.task, plan, answer) }],
      }),
    );
    this.count(run, r.usage);
    const parsed = ValidationVerdictSchema.safeParse(P.extractJson(r.text));
    const verdict: ValidationVerdict = parsed.success
      ? parsed.data
      : { passed: true, feedback: `the model gave no verdict ("${clip(r.text, 120)}"); answer accepted unverified` };
    s.validationResult = { ...verdict, iteration: s.iteration };
    run.pending.push([
      'agent.step',
      { iteration: s.iteration, step: s.steps, phase: 'validate', usage: usageOf(r.usage) },
    ]);
    run.pending.push([
      'job.validation',
      { iteration: s.iteration, passed: verdict.passed, feedback: verdict.feedback, criteria: plan.validationCriteria },
    ]);
    if (verdict.passed) s.phase = 'done';
    else if (s.iteration + 1 >= run.limits.maxIterations) {
      return {
        ok: false,
        reason: budgetReason.iterations(run.limits.maxIterations, verdict.feedback),
        retryable: false,
      };
    } else {
      s.iteration++;
      s.messages = [...s.messages, { role: 'user', content: P.retryRequest(verdict) }];
      s.phase = 'act';
    }
    await this.save(run);
    return undefined;
  }

  // Context too long: replace the history by a summary of it and go on (once per act phase).
  private async summarise(run: Run): Promise<void> {
    const s = run.ctx.state;
    const transcript = JSON.stringify(s.messages);
    const excerpt =
      transcript.length > 40_000 ? `${transcript.slice(0, 4_000)}\n…\n${transcript.slice(-36_000)}` : transcript;
    const r = await this.call(run, (signal) =>
      generateText({
        ...this.settings(run, signal),
        system: P.SUMMARY_INSTRUCTIONS,
        messages: [{ role: 'user', content: excerpt }],
      }),
    );
    this.count(run, r.usage);
    const task = s.plan ? `${run.task}\n\n${P.planSection(s.plan)}` : run.task;
    s.messages = [{ role: 'user', content: P.summaryContinuation(task, r.text) }];
    s.errors.push('the conversation exceeded the model context: summarised and continued');
    await this.save(run);
  }

  private settings(run: Run, signal: AbortSignal) {
    return {
      model: run.model.model,
      temperature: run.agent.model.temperature,
      maxOutputTokens: run.agent.model.maxTokens,
      maxRetries: run.model.maxRetries,
      abortSignal: signal,
    };
  }

  private count(run: Run, usage: LanguageModelUsage): void {
    const s = run.ctx.state;
    s.steps++;
    s.tokens += usage.totalTokens ?? (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
    if (s.tokens > run.limits.maxTokens)
      run.budget.abort(new BudgetExceeded(budgetReason.tokens(s.tokens, run.limits.maxTokens)));
  }

  /** One model call, aborted by the run's signal or after WIZ_LLM_TIMEOUT_MS. */
  private async call<T>(run: Run, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (run.ctx.state.steps >= run.limits.maxSteps) throw new BudgetExceeded(budgetReason.steps(run.limits.maxSteps));
    const deadline = new Deadline(run.model.timeoutMs, run.signal);
    try {
      return await raceAbort(fn(deadline.signal), deadline.signal);
    } catch (e) {
      throw this.modelError(run, deadline.expired ? deadline.signal.reason : e);
    } finally {
      deadline.clear();
    }
  }

  private modelError(run: Run, e: unknown): unknown {
    if (run.budget.signal.aborted) return run.budget.signal.reason;
    if (e instanceof DeadlineExceeded) return new LlmCallError(e.message);
    if (e instanceof UrlRefused) return new LlmCallError(`model endpoint ${run.model.endpoint}: ${e.message}`);
    if (isContextTooLong(e)) return e;
    return AISDKError.isInstance(e) || (e instanceof Error && e.name === 'AbortError')
      ? new LlmCallError(this.llm.describe(e, run.model))
      : e;
  }

  private async resolve(job: JobEntity, agent: AgentEntity): Promise<ResolvedModel> {
    return this.llm.resolve(job.ownerId, agent.model);
  }

  /** A failed loop: its reason in the context, and into long-term memory, in one save. */
  private async conclude(run: Run, outcome: FinishedOutcome): Promise<void> {
    if (!outcome.ok) run.ctx.state.errors.push(outcome.reason);
    await this.save(run, outcome.ok ? undefined : outcome.reason);
  }

  /** The loop's last save, when the job is not completed or failed after it (cancelled). */
  async flush(outcome: LoopOutcome): Promise<void> {
    if ('write' in outcome && outcome.write) await this.changes.commit(outcome.write);
  }

  // The context and the step's events in one transaction; the save that ends the loop (phase
  // `done`, or `failure`) also promotes the job into the agent's long-term memory, and is left
  // to the runner, to commit with the job's completion (`run.final`).
  private async save(run: Run, failure?: string): Promise<void> {
    const events = run.pending.splice(0);
    const s = run.ctx.state;
    const promote = !run.promoted && (failure !== undefined || s.phase === 'done');
    if (promote) run.promoted = true;
    const write: Write = async (m, emit) => {
      await this.contexts.save(run.ctx, m);
      if (promote) {
        const summary = failure ?? s.partialOutputs[s.partialOutputs.length - 1] ?? '';
        await this.memories.promote(
          run.agent,
          run.job,
          s,
          failure === undefined ? 'completed' : 'failed',
          summary,
          run.state,
          m,
        );
      }
      for (const [type, data] of events) emit.event(makeEvent(type, jobIds(run.job), data as never));
    };
    if (promote || run.final) {
      const before = run.final;
      run.final = before ? async (m, emit) => (await before(m, emit), write(m, emit)) : write;
      return;
    }
    await this.changes.commit(write);
  }
}
