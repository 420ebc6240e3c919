import { clip } from '@wiz/contracts';
import type { JobWaitEntity } from '@wiz/persistence';
import { jobIds, makeEvent } from '@wiz/queue';
import { applyOutcomes, awaitedOf, wakeAtOf } from '../delegations.service';
import { applyInputs, awaitedInputOf } from '../human-input.service';
import * as P from '../prompts';
import type { LoopOutcome } from './loop-outcome';
import { RunState } from './run-state';

// What a run waits for and takes in from outside it. One parked state: a step that delegates,
// asks a person or waits for a signal parks the job (`park`, in one transaction with the
// children it creates and the context); resumed, the run `collect`s the outcomes that came in as
// the results of those tool calls. A person's steering messages enter the context between steps
// (`takeSteers`). The phases that call these are in LoopRun.
export abstract class RunWaits extends RunState {
  /** The last step (or an approved call) asked to wait: for child jobs, people or a signal. */
  protected parked(): boolean {
    return this.parking.length > 0 || this.inputs.length > 0;
  }

  /**
   * Parks the job on the children asked for in the last step (and any still awaited): they are
   * created, the context saved and the job moved to `waiting-children` in one transaction.
   */
  protected async park(): Promise<LoopOutcome> {
    await this.saved();
    const s = this.ctx.state;
    const requests = this.parking.splice(0);
    const inputs = this.inputs.splice(0);
    s.awaiting = [...(s.awaiting ?? []), ...requests.map(awaitedOf)];
    s.inputs = [...(s.inputs ?? []), ...inputs.map(awaitedInputOf)];
    const events = this.pending.splice(0);
    const usage = this.takeUsage();
    // One parked state: `waiting-input` while a person or a signal is awaited, else `waiting-children`.
    const on = s.inputs.length ? 'input' : 'children';
    const wakeAt = wakeAtOf([...s.awaiting, ...s.inputs]);
    await this.deps.delegations.park(
      this.job,
      requests,
      wakeAt,
      async (m, emit) => {
        await this.deps.human.record(this.job, inputs, m, emit);
        await this.deps.journal.saveContext(this.ctx, m);
        await this.deps.journal.saveUsage(usage, m);
        for (const [type, data] of events) emit.event(makeEvent(type, jobIds(this.job), data as never));
      },
      on,
    );
    return { parked: true };
  }

  /** A person's steering messages into the context, saved with their consumption. */
  protected async takeSteers(): Promise<void> {
    // None waited when the job was read to run: the first step needs no read (later ones do).
    if (!this.steerRead) return void (this.steerRead = true);
    const rows = await this.deps.human.unconsumedSteers(this.job);
    if (!rows.length) return;
    await this.saved();
    const s = this.ctx.state;
    s.messages = [
      ...s.messages,
      ...rows.map((r) => ({ role: 'user' as const, content: P.steeringMessage(r.by, r.text) })),
    ];
    for (const r of rows)
      this.pending.push(['job.steered', { steerId: r.id, text: clip(r.text, 2_000), by: r.by, consumed: true }]);
    const events = this.pending.splice(0);
    const usage = this.takeUsage();
    await this.deps.journal.commit(async (m, emit) => {
      await this.deps.human.consumeSteers(
        rows.map((r) => r.id),
        m,
      );
      await this.deps.journal.saveContext(this.ctx, m);
      await this.deps.journal.saveUsage(usage, m);
      for (const [type, data] of events) emit.event(makeEvent(type, jobIds(this.job), data as never));
    });
  }

  /** An approved (or edited, or approved at its deadline) call runs now, without the gate. */
  private runApproved = async (row: JobWaitEntity, args: unknown): Promise<unknown> => {
    const t = this.tools.find((x) => x.name === row.tool);
    if (!t) return { error: `the tool ${row.tool} is no longer available to this agent` };
    return this.deps.toolBox.execute(t, args, row.toolCallId, this.toolRun());
  };

  /**
   * Resumed from a park: the outcomes of the children that ended become the results of their
   * tool calls (timed-out asks included). False: some are still running (the job parks again,
   * saving what was collected).
   */
  protected async collect(): Promise<boolean> {
    await this.saved();
    const s = this.ctx.state;
    const { done, waiting } = await this.deps.delegations.collect(this.job, s.awaiting ?? []);
    this.pending.push(...applyOutcomes(s, done));
    s.awaiting = waiting;
    const inputs = await this.deps.human.collect(this.job, s.inputs ?? [], this.runApproved);
    this.pending.push(...applyInputs(s, inputs.done));
    s.inputs = inputs.waiting;
    if (waiting.length || inputs.waiting.length) return false;
    if (this.parked()) return true; // an approved call parked again: saved with the park
    await this.save();
    return true;
  }
}
