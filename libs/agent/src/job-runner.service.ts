import { Injectable, Logger } from '@nestjs/common';
import { RunJobCommand } from '@wiz/contracts';
import { JobExecution } from '@wiz/queue';
import { AgentsRepository } from '@wiz/persistence';
import { Outcome } from './agent-actor';
import { AgentLoop } from './loop/agent-loop.service';

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
    // Cancelled: the store already says so (and freed the agent).
    // Parked: the store says `waiting-children` and the agent is free (or the park lost a race).
    const settled =
      cancel.aborted ||
      'parked' in outcome ||
      (outcome.ok ? await this.execution.complete(job, outcome.result) : await this.execution.fail(job, outcome.reason, outcome.retryable));
    if (settled && agent.status !== 'inactive') {
      const now = await this.agents.findById(job.ownerId, job.agentId);
      if (now) await this.loop.settled(job, now.status);
    }
    return 'done';
  }
}
