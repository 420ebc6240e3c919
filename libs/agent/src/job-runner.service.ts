import { Injectable, Logger } from '@nestjs/common';
import { RunJobCommand } from '@wiz/contracts';
import { Emit, JobExecution, jobIds, makeEvent, StateChanges } from '@wiz/queue';
import type { EntityManager } from 'typeorm';
import { AgentEntity, AgentsRepository, JobEntity } from '@wiz/persistence';
import { Outcome } from './agent-actor';
import { AgentLoop, LoopOutcome } from './loop/agent-loop.service';

// One job: start (claims the agent), the agent loop, then complete or fail. A model error or a
// spent budget is a failed attempt; a store error propagates so the mailbox redelivers.
@Injectable()
export class JobRunner {
  private readonly log = new Logger('JobRunner');

  constructor(
    private readonly execution: JobExecution,
    private readonly loop: AgentLoop,
    private readonly agents: AgentsRepository,
    private readonly changes: StateChanges,
  ) {}

  async run(cmd: RunJobCommand, cancel: AbortSignal): Promise<Outcome> {
    const started = await this.execution.start(cmd);
    if (!started.run) {
      if ('hold' in started) return { hold: started.hold, holder: started.holder };
      this.log.debug(`skipping job ${cmd.jobId}: ${started.reason}`);
      return 'done';
    }
    const { job, agent } = started;
    const outcome = await this.loop.run(job, agent, cancel);
    const settled = await this.settle(job, agent, outcome, cancel);
    // Parked or cancelled: the agent's status (now free) goes out on its own.
    if (settled === 'apart' && agent.status !== 'inactive') await this.changes.commit(this.statusAfter(job), job.agentId);
    return 'done';
  }

  // Parked: the store says `waiting-children` and the agent is free. Cancelled: the store says so;
  // the loop's last save still goes in. Else that save, the completion or failure, and the
  // agent's status after it (busy → active) commit in one transaction.
  private async settle(job: JobEntity, agent: AgentEntity, outcome: LoopOutcome, cancel: AbortSignal): Promise<'apart' | 'done' | 'fenced'> {
    if ('parked' in outcome) return 'apart';
    if (cancel.aborted) {
      await this.loop.flush(outcome);
      return 'apart';
    }
    const after = agent.status === 'inactive' ? undefined : this.statusAfter(job);
    const hooks = { before: outcome.write, after };
    const settled = outcome.ok
      ? await this.execution.complete(job, outcome.result, hooks)
      : await this.execution.fail(job, outcome.reason, outcome.retryable, hooks);
    return settled ? 'done' : 'fenced';
  }

  /** The agent's status as it now is (busy → active), on the event stream. */
  private statusAfter(job: JobEntity) {
    return async (m: EntityManager, emit: Emit) => {
      const now = await this.agents.findById(job.ownerId, job.agentId, m);
      if (now) emit.event(makeEvent('agent.status', jobIds(job), { status: now.status, jobId: null }));
    };
  }
}
