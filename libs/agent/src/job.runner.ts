import { Injectable, Logger } from '@nestjs/common';
import { RunJobCommand } from '@wiz/contracts';
import { JobExecutionService } from '@wiz/queue';
import { JobEntity } from '@wiz/persistence';
import {
  carriedContext,
  contextFromTraceparent,
  failSpan,
  GenAi,
  inSpan,
  jobDuration,
  jobsInFlight,
  linkTo,
  startTimer,
} from '@wiz/telemetry';
import { Outcome } from './agent-actor';
import { AgentLoopService, LoopOutcome } from './loop/agent-loop.service';

// One job: start (claims the agent), the agent loop, then complete or fail. A model error or a
// spent budget is a failed attempt; a store error propagates so the mailbox redelivers.
@Injectable()
export class JobRunner {
  private readonly log = new Logger('JobRunner');

  constructor(
    private readonly execution: JobExecutionService,
    private readonly loop: AgentLoopService,
  ) {}

  async run(cmd: RunJobCommand, cancel: AbortSignal): Promise<Outcome> {
    const started = await this.execution.start(cmd);
    if (!started.run) {
      if ('hold' in started) return { hold: started.hold, holder: started.holder };
      this.log.debug(`skipping job ${cmd.jobId}: ${started.reason}`);
      return 'done';
    }
    const { job, agent, steered } = started;
    // Parent: the context the command carried (its NATS headers); a command rebuilt from the
    // store has none, so the run joins the job's own trace. A resumed run links to its origin.
    const origin = contextFromTraceparent(job.traceParent);
    const parent = carriedContext(cmd) ?? origin;
    const resumed = job.attemptLog.length > 1;
    const attributes = {
      [GenAi.operation]: 'invoke_agent',
      [GenAi.agentId]: agent.id,
      [GenAi.agentName]: agent.name,
      ...(job.conversationId ? { [GenAi.conversationId]: job.conversationId } : {}),
      'wiz.job.id': job.id,
      'wiz.job.attempt': job.attempts,
    };
    const elapsed = startTimer();
    jobsInFlight.inc();
    let ended = 'error';
    try {
      await inSpan(
        `invoke_agent ${agent.name}`,
        { attributes, parent, links: resumed && parent !== origin ? linkTo(origin) : [] },
        async (span) => {
          const outcome = await this.loop.run(job, agent, cancel, { steered });
          ended = 'parked' in outcome ? 'parked' : cancel.aborted ? 'cancelled' : outcome.ok ? 'completed' : 'failed';
          if (!('parked' in outcome) && !outcome.ok) failSpan(span, new Error(outcome.reason), 'job_failed');
          await this.settle(job, outcome, cancel);
        },
      );
    } finally {
      jobsInFlight.dec();
      jobDuration.observe({ outcome: ended }, elapsed());
    }
    return 'done';
  }

  // Parked: the store says `waiting-children` and the agent is free. Cancelled: the store says so;
  // the loop's last save still goes in. Else that save and the completion or failure commit in
  // one transaction. Whatever frees the agent also publishes its status (agent.status).
  // The agent's memory the job wrote is kept for its next job only if the write surely committed.
  private async settle(job: JobEntity, outcome: LoopOutcome, cancel: AbortSignal): Promise<void> {
    if ('parked' in outcome) return;
    let stored = false;
    try {
      if (cancel.aborted) {
        await this.loop.flush(outcome);
        stored = true;
        return;
      }
      // `committed`: the transaction holding the loop's last save (not a fallback without it).
      const hooks = { before: outcome.write, committed: () => (stored = true) };
      if (outcome.ok) await this.execution.complete(job, outcome.result, hooks);
      else await this.execution.fail(job, outcome.reason, outcome.retryable, hooks);
    } finally {
      this.loop.settled(job.agentId, stored);
    }
  }
}
