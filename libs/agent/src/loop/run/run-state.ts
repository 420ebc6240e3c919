import { AISDKError, generateText, LanguageModelUsage, TextStreamPart, ToolSet } from 'ai';
import {
  Deadline,
  DeadlineExceeded,
  isContextTooLong,
  LlmCallError,
  LlmService,
  PriceTable,
  raceAbort,
  ResolvedModel,
  untilAborted,
} from '@wiz/llm';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { UrlRefused } from '@wiz/net';
import { AgentEntity, JobEntity, sideBySide, UsageRecordEntity } from '@wiz/persistence';
import type { LoadedMemory } from '../agent-memory.service';
import { JobExecutionService, jobIds, makeEvent } from '@wiz/queue';
import { systemPromptOf, taskText } from '../../persona';
import { InputRequest, ParkRequest, RunPolicies, WizTool } from '../../tools/tool';
import { ToolBox, ToolRun } from '../../tools/tool-box';
import { summariesOf } from '../../tools/registry';
import { BudgetExceeded, budgetReason, Limits } from '../budget';
import type { ContextSnapshot, LiveContext } from '../context.store';
import type { Steering } from '../steer-watch';
import type { DelegationsService } from '../delegations.service';
import type { HumanInputService } from '../human-input.service';
import type { LiveEvents, TokenBatcher } from '../live-events';
import * as P from '../prompts';
import type { Pending } from '../step-record';
import type { FinishedOutcome, Write } from './loop-outcome';
import type { RunJournalService } from './run-journal.service';
import { ModelCall } from './model-telemetry';

/** What a run works with, handed down by the loop service. */
export interface RunDeps {
  llm: Pick<LlmService, 'describe'>;
  journal: RunJournalService;
  execution: Pick<JobExecutionService, 'progress'>;
  live: LiveEvents;
  delegations: Pick<DelegationsService, 'park' | 'collect'>;
  human: Pick<HumanInputService, 'record' | 'collect' | 'unconsumedSteers' | 'consumeSteers'>;
  toolBox: ToolBox;
  tokenBatchMs: number;
  prices: PriceTable;
  /** WIZ_TRACE_CONTENT: prompts and completions on model-call spans. */
  traceContent: boolean;
  /**
   * Why the owner's budgets stop this job now, if they do (checked before every model call);
   * `counted` (the run's saves committed, its usage with them) is awaited first if a budget applies.
   */
  budgetStop(ownerId: string, agentId: string, counted: () => Promise<void>): Promise<string | null>;
}

export interface RunInput {
  job: JobEntity;
  agent: AgentEntity;
  ctx: LiveContext;
  state: LoadedMemory;
  model: ResolvedModel;
  limits: Limits;
  signal: AbortSignal;
  budget: AbortController;
  /** The tools this agent may use (built-in and MCP). */
  tools: WizTool[];
  /** Tool approval policies (the agent's, then its owner's default). */
  policies: RunPolicies;
  /** False: no steering message waited when the job was read to run (the first read is skipped). */
  steered?: boolean;
  /** Whether a steering message waits, asked between model steps (SteerWatch). */
  steering: Pick<Steering, 'waiting'>;
}

// One job's run, its state and bookkeeping: model call settings, the model calls themselves (a
// phase's one call; the act step's, streamed or as one response), the token and step budgets,
// and the saves (context and the step's events in one transaction). What it waits for is in
// RunWaits, the phases in LoopRun.
export abstract class RunState {
  readonly job: JobEntity;
  readonly agent: AgentEntity;
  readonly ctx: LiveContext;
  readonly model: ResolvedModel;
  readonly limits: Limits;
  readonly signal: AbortSignal;
  protected readonly budget: AbortController;
  /** The agent's long-term memory as loaded, and its prompt section. */
  protected readonly state: LoadedMemory;
  protected readonly memory: string;
  protected readonly system: string;
  protected readonly task: string;
  /** The tools this agent may use. */
  protected readonly tools: WizTool[];
  /** Events to write with the next context save. */
  protected readonly pending: Pending[] = [];
  /** Model calls' usage to write with the next context save (the ledger). */
  protected readonly usage: UsageRecordEntity[] = [];
  /** Delegations asked for in the current step: the run parks after it. */
  protected readonly parking: ParkRequest[] = [];
  /** Waits on people or signals asked for in the current step: the run parks after it. */
  protected readonly inputs: InputRequest[] = [];
  protected readonly policies: RunPolicies;
  /** The steering messages must be read before the next step (false only until the first step). */
  protected steerRead: boolean;
  protected readonly steering: Pick<Steering, 'waiting'>;
  /** Child slots taken in the current step. */
  protected readonly reserved = { count: 0 };
  /** The job's outcome went into long-term memory (with the save that ended the loop). */
  promoted = false;
  /** The save that ends the loop, left to the runner's completion (see FinishedOutcome). */
  final?: Write;
  /** Saves started by saveSoon and not yet committing (see drainSaves). */
  private readonly queued: Taken[] = [];
  /** Commits the queued saves while there are (drainSaves); never rejects. */
  private draining?: Promise<void>;
  /** Why a save started by saveSoon failed: the run stops at the next `saved`. */
  protected saveError: unknown;

  constructor(
    protected readonly deps: RunDeps,
    input: RunInput,
  ) {
    ({ job: this.job, agent: this.agent, ctx: this.ctx, model: this.model, limits: this.limits } = input);
    ({ signal: this.signal, budget: this.budget, state: this.state, policies: this.policies } = input);
    this.tools = input.tools;
    this.steerRead = input.steered !== false;
    this.steering = input.steering;
    this.system = systemPromptOf(this.agent, summariesOf(this.tools));
    this.task = taskText(this.job.input, this.job.data);
    this.memory = P.memorySection(this.state.state);
  }

  /** What the tools of this run see of it. */
  protected toolRun(): ToolRun {
    return {
      job: this.job,
      agent: this.agent,
      state: this.ctx.state,
      signal: this.signal,
      parking: this.parking,
      inputs: this.inputs,
      policies: this.policies,
      reserved: this.reserved,
      progress: (pct) => this.deps.execution.progress(this.job, pct),
      ready: () => this.saved(),
    };
  }

  /** A failed loop: its reason in the context, and into long-term memory, in one save. */
  async conclude(outcome: FinishedOutcome): Promise<void> {
    await this.allSaved(); // a failed save's error: the outcome says why the run ended already
    if (!outcome.ok) this.ctx.state.errors.push(outcome.reason);
    await this.save(outcome.ok ? undefined : outcome.reason);
  }

  /** `signal`: the call's own (a Deadline of WIZ_LLM_TIMEOUT_MS that follows the run's). */
  protected settings(signal: AbortSignal) {
    return {
      model: this.model.model,
      temperature: this.agent.model.temperature,
      maxOutputTokens: this.agent.model.maxTokens,
      maxRetries: this.model.maxRetries,
      abortSignal: signal,
    };
  }

  protected count(usage: LanguageModelUsage, responseModel?: string): void {
    const model = responseModel ?? this.model.modelId;
    const [input, output] = [usage.inputTokens ?? 0, usage.outputTokens ?? 0];
    this.usage.push(
      Object.assign(new UsageRecordEntity(), {
        id: randomUUID(),
        ownerId: this.job.ownerId,
        agentId: this.agent.id,
        jobId: this.job.id,
        provider: this.model.providerName,
        model,
        inputTokens: input,
        outputTokens: output,
        costNanoUsd: this.deps.prices.costNanoUsd(this.model.providerName, model, input, output),
        createdAt: new Date(),
      }),
    );
    const s = this.ctx.state;
    s.steps++;
    s.tokens += usage.totalTokens ?? (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
    if (s.tokens > this.limits.maxTokens)
      this.budget.abort(new BudgetExceeded(budgetReason.tokens(s.tokens, this.limits.maxTokens)));
  }

  /** One model call (a `chat` span), aborted by the run's signal or after WIZ_LLM_TIMEOUT_MS. */
  protected async call<T extends { usage: LanguageModelUsage; text: string; response: { modelId: string } }>(
    phase: string,
    input: unknown,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    if (this.ctx.state.steps >= this.limits.maxSteps)
      throw new BudgetExceeded(budgetReason.steps(this.limits.maxSteps));
    await this.checkBudgets();
    const call = this.modelCall(phase, input);
    const deadline = new Deadline(this.model.timeoutMs, this.signal);
    try {
      const r = await raceAbort(fn(deadline.signal), deadline.signal);
      call.end(r.usage, r.response.modelId, this.deps.traceContent ? r.text : undefined);
      return r;
    } catch (e) {
      call.fail(e);
      throw this.modelError(deadline.expired ? deadline.signal.reason : e);
    } finally {
      deadline.clear();
    }
  }

  // The act step unstreamed: one response per model call (a `chat {model}` span each), no token events.
  protected async generate(step: Parameters<typeof generateText<ToolSet>>[0], deadline: Deadline): Promise<void> {
    let call: ModelCall | undefined;
    try {
      await raceAbort(
        generateText({
          ...step,
          experimental_include: { requestBody: false, responseBody: false },
          experimental_onStepStart: () => {
            call = this.modelCall('act', this.ctx.state.messages);
          },
          onStepFinish: async (r) => {
            call?.end(r.usage, r.response.modelId, this.deps.traceContent ? r.text : undefined);
            call = undefined;
            await step.onStepFinish?.(r);
          },
        }),
        deadline.signal,
      );
    } catch (e) {
      call?.fail(e);
      throw this.modelError(deadline.expired ? deadline.signal.reason : e);
    }
  }

  // Reads the step's stream until it ends or the call's deadline fires (a stalled body included).
  protected async consume(
    parts: AsyncIterable<TextStreamPart<ToolSet>>,
    deadline: Deadline,
    tokens: TokenBatcher,
  ): Promise<void> {
    // One `chat {model}` span per step of the stream (the SDK calls the model once per step).
    let call: ModelCall | undefined;
    let stepText = '';
    try {
      let said = false;
      for await (const part of untilAborted(parts, deadline.signal)) {
        if (part.type === 'text-delta' || part.type === 'tool-call') said = true;
        if (part.type === 'start-step') {
          call = this.modelCall('act', this.ctx.state.messages);
          stepText = '';
        } else if (part.type === 'text-delta') {
          call?.token();
          tokens.push(part.text);
          if (this.deps.traceContent) stepText += part.text;
        } else if (part.type === 'finish-step') {
          if (!said && ['other', 'unknown'].includes(part.finishReason))
            // A 200 whose body is not an OpenAI-compatible stream (an HTML page, a proxy's answer).
            throw new LlmCallError(`model endpoint ${this.model.endpoint} answered without a readable completion`);
          call?.end(part.usage, part.response.modelId, this.deps.traceContent ? stepText : undefined);
          call = undefined;
        } else if (part.type === 'error' || part.type === 'abort')
          throw this.modelError(
            deadline.expired
              ? deadline.signal.reason
              : part.type === 'error'
                ? part.error
                : (this.signal.reason ?? new Error('aborted')),
          );
      }
    } catch (e) {
      call?.fail(e);
      // untilAborted threw the deadline's reason (its own, or the run's it follows).
      throw deadline.signal.aborted && e === deadline.signal.reason ? this.modelError(e) : e;
    }
  }

  protected modelCall(phase: string, input: unknown): ModelCall {
    const ids = { provider: this.model.providerName, modelId: this.model.modelId };
    return new ModelCall(ids, phase, this.deps.traceContent ? input : undefined);
  }

  /** The owner's budgets (cluster-wide, from the store): a spent one stops the job here. */
  protected async checkBudgets(): Promise<void> {
    const stop = await this.deps.budgetStop(this.job.ownerId, this.agent.id, () => this.saved());
    if (stop) throw new BudgetExceeded(stop);
  }

  /** The save's ledger rows (taken: each is written once). */
  protected takeUsage(): UsageRecordEntity[] {
    return this.usage.splice(0);
  }

  protected modelError(e: unknown): unknown {
    if (this.budget.signal.aborted) return this.budget.signal.reason;
    if (e instanceof DeadlineExceeded) return new LlmCallError(e.message);
    if (e instanceof UrlRefused) return new LlmCallError(`model endpoint ${this.model.endpoint}: ${e.message}`);
    if (isContextTooLong(e)) return e;
    return AISDKError.isInstance(e) || (e instanceof Error && e.name === 'AbortError')
      ? new LlmCallError(this.deps.llm.describe(e, this.model))
      : e;
  }

  // The context and the step's events in one transaction; the save that ends the loop (phase
  // `done`, or `failure`) also promotes the job into the agent's long-term memory, and is left
  // to the runner, to commit with the job's completion (`final`).
  protected async save(failure?: string): Promise<void> {
    const taken = this.take(failure);
    if (taken) await this.commitSaves([taken]);
  }

  /**
   * Takes what a save writes, now: the context as it is, the pending events and usage. Returns
   * it, or undefined when it is left to the runner (`final`).
   */
  private take(failure?: string): Taken | undefined {
    const events = this.pending.splice(0);
    const usage = this.takeUsage();
    const s = this.ctx.state;
    const promote = !this.promoted && (failure !== undefined || s.phase === 'done');
    if (promote) this.promoted = true;
    const taken = { events, usage, snap: this.deps.journal.snapshot(this.ctx) };
    if (!promote && !this.final) return taken;
    const before = this.final;
    const also = promote
      ? (m: EntityManager) => this.deps.journal.promote(this.agent, this.job, s, failure, this.state, m)
      : undefined;
    // The saves queued behind the run's transaction (not started yet) commit with this one rather
    // than in a transaction of their own; not if a save fails before (none after a failed one).
    const queued = this.queued.splice(0);
    const last: Write = (m, emit) =>
      this.write(this.saveError === undefined ? [...queued, taken] : [taken], false, also)(m, emit);
    this.final = before ? async (m, emit) => (await before(m, emit), last(m, emit)) : last;
    return undefined;
  }

  /** Saves taken one after another, in one transaction: the last context, every event and usage row. */
  private write(saves: Taken[], withCommit: boolean, also?: (m: EntityManager) => Promise<void>): Write {
    const last = saves[saves.length - 1]!;
    return async (m, emit) => {
      // Side by side; in a step's save none is waited for (the ledger's rows, and the context
      // `withCommit`, go with the commit): one round trip for the whole transaction.
      await sideBySide(
        this.deps.journal.saveContext(this.ctx, m, { withCommit }, last.snap),
        this.deps.journal.saveUsage(
          saves.flatMap((t) => t.usage),
          m,
        ),
        also?.(m) ?? Promise.resolve(),
      );
      for (const t of saves)
        for (const [type, data] of t.events) emit.event(makeEvent(type, jobIds(this.job), data as never));
    };
  }

  /** The context's append goes with the commit: a save is one round trip (see commitSave). */
  private commitSaves(saves: Taken[]): Promise<void> {
    return this.deps.journal.commitSave(this.ctx, (withCommit) => this.write(saves, withCommit));
  }

  /**
   * Starts a save and returns: it commits while the run goes on (the next model call, a tool
   * that changes only the run's own context), so that a step waits for the model and not for the
   * store. It writes the context as it is now, whatever the run changes meanwhile. One
   * transaction of the run commits at a time; the saves started meanwhile commit together in the
   * next (their events in order, the last context), and none after one that failed; those still
   * queued when the loop ends commit with its last save (`take`). A tool with effects outside the
   * run runs only once every save has committed (`ready`), and so do a park, the loop's end (for
   * the transaction under way) and a budget check when the owner has budgets; a step waits for them once
   * QUEUED_SAVES wait (`savedEnough`), so the store is a few steps behind the run at most.
   */
  protected saveSoon(): void {
    const taken = this.take();
    if (!taken) return;
    this.queued.push(taken);
    // Cleared once drained, after it is set (even when drainSaves ends at once).
    this.draining ??= this.drainSaves().finally(() => (this.draining = undefined));
  }

  private async drainSaves(): Promise<void> {
    while (this.queued.length && this.saveError === undefined) {
      await this.commitSaves(this.queued.splice(0)).catch((e: unknown) => void (this.saveError ??= e));
    }
    this.queued.length = 0; // after a failure: none commits
  }

  /** Resolves once every save started has committed or failed (see `saved` for the error). */
  private async allSaved(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Waits for the saves started by saveSoon; throws if one failed (the run stops). */
  protected async saved(): Promise<void> {
    await this.allSaved();
    if (this.saveError !== undefined) throw this.saveError;
  }

  /** Waits for the saves when QUEUED_SAVES wait for a transaction already; throws if one failed. */
  protected async savedEnough(): Promise<void> {
    if (this.queued.length >= QUEUED_SAVES) await this.saved();
    if (this.saveError !== undefined) throw this.saveError;
  }
}

/** Saves waiting for the run's transaction before a step waits for them (see saveSoon). */
const QUEUED_SAVES = 2;

/** A save as taken when it was started. */
interface Taken {
  events: Pending[];
  usage: UsageRecordEntity[];
  snap: ContextSnapshot;
}
