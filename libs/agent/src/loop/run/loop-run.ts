import { generateText, hasToolCall, ModelMessage, streamText } from 'ai';
import { clip, PlanSchema, ValidationVerdict, ValidationVerdictSchema } from '@wiz/contracts';
import { isContextTooLong, LlmCallError } from '@wiz/llm';
import { jobIds, makeEvent } from '@wiz/queue';
import { BudgetExceeded, budgetReason } from '../budget';
import { applyOutcomes, awaitedOf, wakeAtOf } from '../delegations.service';
import { TokenBatcher } from '../live-events';
import * as P from '../prompts';
import { recordStep, usageOf } from '../step-record';
import type { LoopOutcome } from './loop-outcome';
import { RunState } from './run-state';

// The agent loop for one job, one method per phase: plan (criteria + steps) → act (model with
// tools, many steps, streamed) → validate → iterate or finish, within the agent's budgets. The
// context is saved after every phase and model step; a job redelivered after a crash continues
// from it (`drive` starts at the saved phase).
export class LoopRun extends RunState {
  async drive(): Promise<LoopOutcome> {
    const s = this.ctx.state;
    if (s.phase === 'plan') {
      if (this.limits.planning) {
        await this.plan();
        s.phase = 'act';
        await this.save();
      } else {
        s.phase = 'act';
        // Nothing worth a transaction: saved (with the turn to busy) with the first model step.
        s.planNote = 'planning is off for this agent: no self-validation';
      }
    }
    for (;;) {
      if (s.phase === 'act') {
        if (s.awaiting?.length && !(await this.collect())) return this.park();
        await this.actOrSummarise();
        if (this.parking.length) return this.park();
      }
      if (s.phase === 'validate') {
        const failed = await this.validate();
        if (failed) return failed;
      }
      if (s.phase === 'done') return this.finish();
    }
  }

  private async plan(): Promise<void> {
    const s = this.ctx.state;
    const messages: ModelMessage[] = [{ role: 'user', content: this.task }];
    const r = await this.call('plan', messages, () =>
      generateText({
        ...this.settings(),
        system: P.withPhase(this.system, this.memory, P.PLAN_INSTRUCTIONS),
        messages,
      }),
    );
    this.count(r.usage, r.response.modelId);
    const plan = PlanSchema.safeParse(P.extractJson(r.text));
    if (plan.success) s.plan = plan.data;
    else s.planNote = `the model gave no usable plan ("${clip(r.text, 120)}"): working without self-validation`;
    this.pending.push([
      'agent.step',
      { iteration: s.iteration, step: s.steps, phase: 'plan', text: clip(r.text, 2_000), usage: usageOf(r.usage) },
    ]);
  }

  private async actOrSummarise(): Promise<void> {
    try {
      return await this.act();
    } catch (e) {
      if (!isContextTooLong(e) && !(e instanceof LlmCallError && /context window/.test(e.message))) throw e;
      await this.summarise();
      return this.act();
    }
  }

  // Leaves the context in the next phase (validate or done), saved with the last step.
  private async act(): Promise<void> {
    const s = this.ctx.state;
    if (s.messages.length === 0)
      s.messages = [{ role: 'user', content: s.plan ? `${this.task}\n\n${P.planSection(s.plan)}` : this.task }];
    const base = s.messages as ModelMessage[];
    const stepsLeft = this.limits.maxSteps - s.steps;
    if (stepsLeft <= 0) throw new BudgetExceeded(budgetReason.steps(this.limits.maxSteps));
    await this.checkBudgets();
    let finished: string | undefined;
    const tokens = new TokenBatcher(
      this.deps.live,
      this.job,
      () => ({ iteration: s.iteration, step: s.steps + 1 }),
      this.deps.tokenBatchMs,
    );
    const reserved = { count: 0 };
    const tools = this.deps.toolBox.toolSet(this.tools, {
      job: this.job,
      agent: this.agent,
      state: s,
      parking: this.parking,
      reserved,
      progress: (pct) => this.deps.execution.progress(this.job, pct),
    });
    const stream = streamText({
      ...this.settings(),
      system: P.withPhase(this.system, this.memory, P.ACT_INSTRUCTIONS),
      messages: base,
      tools,
      // A delegation ends the step's stream: the job parks until the child answers.
      stopWhen: [hasToolCall('finish'), () => this.parking.length > 0, ({ steps }) => steps.length >= stepsLeft],
      onError: () => undefined, // surfaced below as the stream's `error` part
      onStepFinish: async (step) => {
        reserved.count = 0;
        s.messages = [...base, ...step.response.messages];
        finished ??= (
          step.toolCalls.find((c) => c.toolName === 'finish' && !c.invalid)?.input as { answer?: string } | undefined
        )?.answer;
        if (finished !== undefined) this.parking.length = 0; // answered anyway: no one to wait for
        const last = finished !== undefined || step.finishReason !== 'tool-calls';
        tokens.endStep();
        this.pending.push(...recordStep(s, step, !last));
        this.count(step.usage, step.response.modelId);
        if (last) this.concludeAct(finished ?? step.text, finished !== undefined ? 'finish-tool' : step.finishReason);
        // A parking step is saved with the park (children, context and status in one transaction).
        if (!this.parking.length) await this.save();
        // The owner's budgets, between steps: a spent one stops the job before its next call.
        if (!last && !this.parking.length) {
          const stop = await this.deps.budgetStop(this.job.ownerId, this.agent.id);
          if (stop) this.budget.abort(new BudgetExceeded(stop));
        }
      },
    });
    // One `chat {model}` span per step of the stream (the SDK calls the model once per step).
    let call: ReturnType<typeof this.modelCall> | undefined;
    let stepText = '';
    try {
      for await (const part of stream.fullStream) {
        if (part.type === 'start-step') {
          call = this.modelCall('act', s.messages);
          stepText = '';
        } else if (part.type === 'text-delta') {
          call?.token();
          tokens.push(part.text);
          if (this.deps.traceContent) stepText += part.text;
        } else if (part.type === 'finish-step') {
          call?.end(part.usage, part.response.modelId, this.deps.traceContent ? stepText : undefined);
          call = undefined;
        } else if (part.type === 'error') throw this.modelError(part.error);
        else if (part.type === 'abort') throw this.modelError(this.signal.reason ?? new Error('aborted'));
      }
    } catch (e) {
      call?.fail(e);
      throw e;
    } finally {
      tokens.flush();
    }
    if (this.parking.length) return;
    // Still acting: the step budget ended the stream while the model wanted to go on.
    if (s.phase === 'act') throw new BudgetExceeded(budgetReason.steps(this.limits.maxSteps));
  }

  private concludeAct(answer: string, finishReason: string): void {
    const s = this.ctx.state;
    s.partialOutputs.push(answer);
    s.phase = s.plan ? 'validate' : 'done';
    s.validationResult = null;
    this.pending.push(['agent.step', { iteration: s.iteration, step: s.steps, phase: 'act', finishReason }]);
  }

  /**
   * Parks the job on the children asked for in the last step (and any still awaited): they are
   * created, the context saved and the job moved to `waiting-children` in one transaction.
   */
  private async park(): Promise<LoopOutcome> {
    const s = this.ctx.state;
    const requests = this.parking.splice(0);
    s.awaiting = [...(s.awaiting ?? []), ...requests.map(awaitedOf)];
    const events = this.pending.splice(0);
    const usage = this.takeUsage();
    await this.deps.delegations.park(this.job, requests, wakeAtOf(s.awaiting), async (m, emit) => {
      await this.deps.journal.saveContext(this.ctx, m);
      await this.deps.journal.saveUsage(usage, m);
      for (const [type, data] of events) emit.event(makeEvent(type, jobIds(this.job), data as never));
    });
    return { parked: true };
  }

  /**
   * Resumed from a park: the outcomes of the children that ended become the results of their
   * tool calls (timed-out asks included). False: some are still running (the job parks again,
   * saving what was collected).
   */
  private async collect(): Promise<boolean> {
    const s = this.ctx.state;
    const { done, waiting } = await this.deps.delegations.collect(this.job, s.awaiting ?? []);
    this.pending.push(...applyOutcomes(s, done));
    s.awaiting = waiting;
    if (waiting.length) return false;
    await this.save();
    return true;
  }

  /** Returns a failure when the last allowed iteration did not pass. */
  private async validate(): Promise<LoopOutcome | undefined> {
    const s = this.ctx.state;
    const plan = s.plan!;
    const answer = s.partialOutputs[s.partialOutputs.length - 1] ?? '';
    const messages: ModelMessage[] = [{ role: 'user', content: P.validationRequest(this.task, plan, answer) }];
    const r = await this.call('validate', messages, () =>
      generateText({
        ...this.settings(),
        system: P.withPhase(this.system, this.memory, P.VALIDATE_INSTRUCTIONS),
        messages,
      }),
    );
    this.count(r.usage, r.response.modelId);
    const parsed = ValidationVerdictSchema.safeParse(P.extractJson(r.text));
    const verdict: ValidationVerdict = parsed.success
      ? parsed.data
      : { passed: true, feedback: `the model gave no verdict ("${clip(r.text, 120)}"); answer accepted unverified` };
    s.validationResult = { ...verdict, iteration: s.iteration };
    this.pending.push([
      'agent.step',
      { iteration: s.iteration, step: s.steps, phase: 'validate', usage: usageOf(r.usage) },
    ]);
    this.pending.push([
      'job.validation',
      { iteration: s.iteration, passed: verdict.passed, feedback: verdict.feedback, criteria: plan.validationCriteria },
    ]);
    if (verdict.passed) s.phase = 'done';
    else if (s.iteration + 1 >= this.limits.maxIterations) {
      return {
        ok: false,
        reason: budgetReason.iterations(this.limits.maxIterations, verdict.feedback),
        retryable: false,
      };
    } else {
      s.iteration++;
      s.messages = [...s.messages, { role: 'user', content: P.retryRequest(verdict) }];
      s.phase = 'act';
    }
    await this.save();
    return undefined;
  }

  /** The job's result: the last answer, and what it took. */
  private finish(): LoopOutcome {
    const s = this.ctx.state;
    const text = s.partialOutputs[s.partialOutputs.length - 1] ?? '';
    return {
      ok: true,
      result: {
        text,
        model: this.model.modelId,
        finishReason: 'stop',
        usage: { totalTokens: s.tokens },
        steps: s.steps,
        iterations: s.iteration + 1,
      },
    };
  }

  // Context too long: replace the history by a summary of it and go on (once per act phase).
  private async summarise(): Promise<void> {
    const s = this.ctx.state;
    const transcript = JSON.stringify(s.messages);
    const excerpt =
      transcript.length > 40_000 ? `${transcript.slice(0, 4_000)}\n…\n${transcript.slice(-36_000)}` : transcript;
    const messages: ModelMessage[] = [{ role: 'user', content: excerpt }];
    const r = await this.call('summarise', messages, () =>
      generateText({ ...this.settings(), system: P.SUMMARY_INSTRUCTIONS, messages }),
    );
    this.count(r.usage, r.response.modelId);
    const task = s.plan ? `${this.task}\n\n${P.planSection(s.plan)}` : this.task;
    s.messages = [{ role: 'user', content: P.summaryContinuation(task, r.text) }];
    s.errors.push('the conversation exceeded the model context: summarised and continued');
    await this.save();
  }
}
