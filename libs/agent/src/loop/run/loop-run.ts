import { generateText, hasToolCall, ModelMessage, StepResult, streamText, ToolSet } from 'ai';
import { clip, PlanSchema, ValidationVerdict, ValidationVerdictSchema } from '@wiz/contracts';
import { cleanModelText, Deadline, isContextTooLong, LlmCallError } from '@wiz/llm';
import { BudgetExceeded, budgetReason } from '../budget';
import { TokenBatcher } from '../live-events';
import * as P from '../prompts';
import { recordStep, usageOf } from '../step-record';
import type { LoopOutcome } from './loop-outcome';
import { RunWaits } from './run-waits';

// The agent loop for one job, one method per phase: plan (criteria + steps) → act (model with
// tools, many steps, streamed) → validate → iterate or finish, within the agent's budgets. The
// context is saved after every phase and model step; a job redelivered after a crash continues
// from it (`drive` starts at the saved phase). A save commits while the run goes on (saveSoon: it
// writes the context as it was when started); the saves still queued when the loop ends commit
// with its last one, which the runner commits with the job's completion (`final`).
export class LoopRun extends RunWaits {
  async drive(): Promise<LoopOutcome> {
    let outcome: LoopOutcome;
    try {
      outcome = await this.phases();
    } catch (e) {
      // A failed save stops the run (at the step after it, whatever that step then threw): its error says why.
      throw await this.saved().then(
        () => e,
        (saveError: unknown) => saveError,
      );
    }
    await this.saved();
    return outcome;
  }

  private async phases(): Promise<LoopOutcome> {
    const s = this.ctx.state;
    if (s.phase === 'plan') {
      if (this.limits.planning) {
        await this.plan();
        s.phase = 'act';
        s.messages = this.firstMessages();
        this.saveSoon();
      } else {
        s.phase = 'act';
        // Nothing worth a transaction: saved (with the turn to busy) with the first model step.
        s.planNote = 'planning is off for this agent: no self-validation';
      }
    }
    for (;;) {
      if (s.phase === 'act') {
        if ((s.awaiting?.length || s.inputs?.length) && !(await this.collect())) return this.park();
        // An approved call that parks again (a gated delegation) parks before the next step.
        if (this.parked()) return this.park();
        await this.actOrSummarise();
        if (this.parked()) return this.park();
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
    const r = await this.call('plan', messages, (signal) =>
      generateText({
        ...this.settings(signal),
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
    if (s.messages.length === 0) {
      await this.saved();
      s.messages = this.firstMessages();
    }
    await this.takeSteers();
    const base = s.messages as ModelMessage[];
    const stepsLeft = this.limits.maxSteps - s.steps;
    if (stepsLeft <= 0) throw new BudgetExceeded(budgetReason.steps(this.limits.maxSteps));
    await this.checkBudgets();
    let finished: string | undefined;
    // Streamed while someone follows the job (its tokens go out live); otherwise one response per
    // model call, and the step stops early if someone starts following, so the next one streams.
    const live = this.deps.live.streams(this.job);
    const tokens = live
      ? new TokenBatcher(
          this.deps.live,
          this.job,
          () => ({ iteration: s.iteration, step: s.steps + 1 }),
          this.deps.tokenBatchMs,
        )
      : undefined;
    this.reserved.count = 0;
    const tools = this.deps.toolBox.toolSet(this.tools, this.toolRun());
    let steered = false;
    // Whether a person steered the job, asked when a step ends (beside its save: heard on the bus,
    // or read from the store at most every second; SteerWatch), known before the next.
    let steers: Promise<boolean> | undefined;
    let followed = false;
    let taken = 0;
    const deadline = new Deadline(this.model.timeoutMs, this.signal);
    const step = {
      ...this.settings(deadline.signal),
      system: P.withPhase(this.system, this.memory, P.ACT_INSTRUCTIONS),
      messages: base,
      tools,
      // Steps' raw request bodies (the whole history, each) are never read: not kept per step.
      experimental_include: { requestBody: false },
      // A delegation ends the step's stream: the job parks until the child answers.
      // A person's steering message also ends it: the next step starts with the message in context.
      stopWhen: [
        hasToolCall('finish'),
        () => this.parked(),
        ({ steps }: { steps: unknown[] }) => steps.length >= stepsLeft,
        async () => (steered = await (steers ?? this.steering.waiting())),
        () => !live && (followed = this.deps.live.streams(this.job)),
        () => this.saveError !== undefined,
      ],
      // The SDK ignores what this throws: a failed save surfaces at the next `saved` outside it.
      onStepFinish: async (step: StepResult<ToolSet>) => {
        await this.savedEnough();
        steers = undefined;
        this.reserved.count = 0;
        // Every response message so far; generateText makes them anew each step: the context keeps
        // the ones it has (saved elements are not rewritten, so a step costs the same at any history).
        s.messages = [...s.messages, ...step.response.messages.slice(taken)];
        taken = step.response.messages.length;
        finished ??= (
          step.toolCalls.find((c) => c.toolName === 'finish' && !c.invalid)?.input as { answer?: string } | undefined
        )?.answer;
        if (finished !== undefined) this.parking.length = this.inputs.length = 0; // answered anyway: no one to wait for
        const last = finished !== undefined || step.finishReason !== 'tool-calls';
        tokens?.endStep();
        const ended = last ? (finished !== undefined ? 'finish-tool' : step.finishReason) : undefined;
        this.pending.push(...recordStep(s, step, ended));
        this.count(step.usage, step.response.modelId);
        if (last) this.concludeAct(finished ?? step.text);
        // A parking step is saved with the park (children, context and status in one transaction).
        if (!this.parked()) this.saveSoon();
        if (!last && !this.parked()) {
          steers = this.steering.waiting();
          steers.catch(() => undefined); // read (and thrown) by the stop condition, if the SDK asks it
          // The owner's budgets, between steps: a spent one stops the job before its next call.
          const stop = await this.deps.budgetStop(this.job.ownerId, this.agent.id, () => this.saved());
          if (stop) this.budget.abort(new BudgetExceeded(stop));
        }
      },
    };
    try {
      if (tokens)
        // onError: surfaced by consume as the stream's `error` part.
        await this.consume(streamText({ ...step, onError: () => undefined }).fullStream, deadline, tokens);
      else await this.generate(step, deadline);
    } finally {
      deadline.clear();
      tokens?.flush();
    }
    if (this.parked()) return;
    // Steered, or followed: the next act step reads the message, or streams (the drive loop calls act again).
    if ((steered || followed) && s.phase === 'act') return;
    // Still acting: the step budget ended the stream while the model wanted to go on.
    if (s.phase === 'act') throw new BudgetExceeded(budgetReason.steps(this.limits.maxSteps));
  }

  /** The act phase's first message: the task, and the plan if there is one. */
  private firstMessages(): ModelMessage[] {
    const s = this.ctx.state;
    return [{ role: 'user', content: s.plan ? `${this.task}\n\n${P.planSection(s.plan)}` : this.task }];
  }

  /** The act phase ended with the last step (whose `agent.step` event says why): its answer. */
  private concludeAct(answer: string): void {
    const s = this.ctx.state;
    s.partialOutputs.push(cleanModelText(answer));
    s.phase = s.plan ? 'validate' : 'done';
    s.validationResult = null;
  }

  /** Returns a failure when the last allowed iteration did not pass. */
  private async validate(): Promise<LoopOutcome | undefined> {
    const s = this.ctx.state;
    const plan = s.plan!;
    const answer = s.partialOutputs[s.partialOutputs.length - 1] ?? '';
    const messages: ModelMessage[] = [{ role: 'user', content: P.validationRequest(this.task, plan, answer) }];
    const r = await this.call('validate', messages, (signal) =>
      generateText({
        ...this.settings(signal),
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
    this.saveSoon();
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
    const r = await this.call('summarise', messages, (signal) =>
      generateText({ ...this.settings(signal), system: P.SUMMARY_INSTRUCTIONS, messages }),
    );
    await this.saved();
    this.count(r.usage, r.response.modelId);
    const task = s.plan ? `${this.task}\n\n${P.planSection(s.plan)}` : this.task;
    s.messages = [{ role: 'user', content: P.summaryContinuation(task, r.text) }];
    s.errors.push('the conversation exceeded the model context: summarised and continued');
    await this.save();
  }
}
