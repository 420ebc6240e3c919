import { Injectable, Logger } from '@nestjs/common';
import { RunJobCommand } from '@wiz/contracts';
import { JobExecution } from '@wiz/queue';
import { AgentsRepository, JobEntity } from '@wiz/persistence';
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
    const settled = await this.settle(job, outcome, cancel);
    if (settled && agent.status !== 'inactive') {
      const now = await this.agents.findById(job.ownerId, job.agentId);
      if (now) await this.loop.settled(job, now.status);
    }
    return 'done';
  }

  // Parked: the store says `waiting-children` and the agent is free. Cancelled: the store says so;
  // the loop's last save still goes in. Else that save commits with the completion or failure.
  private async settle(job: JobEntity, outcome: LoopOutcome, cancel: AbortSignal): Promise<boolean> {
    if ('parked' in outcome) return true;
    if (cancel.aborted) {
      await this.loop.flush(outcome);
      return true;
    }
    return outcome.ok
      ? this.execution.complete(job, outcome.result, outcome.write)
      : this.execution.fail(job, outcome.reason, outcome.retryable, outcome.write);
  }
}
