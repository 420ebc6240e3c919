import { Injectable, Logger } from '@nestjs/common';
import { RunJobCommand } from '@wiz/contracts';
import { JobExecution } from '@wiz/queue';
import { LlmCallError, LlmService } from '@wiz/llm';
import { Outcome } from './agent-actor';
import { systemPromptOf, taskMessages } from './persona';

// The agent loop for one job: persona → prompt → model → result. A model error is a failed
// attempt (retried per the job's policy); a store error propagates so the mailbox redelivers.
@Injectable()
export class JobRunner {
  private readonly log = new Logger('JobRunner');

  constructor(
    private readonly execution: JobExecution,
    private readonly llm: LlmService,
  ) {}

  async run(cmd: RunJobCommand, cancel: AbortSignal): Promise<Outcome> {
    const started = await this.execution.start(cmd);
    if (!started.run) {
      if ('hold' in started) return { hold: started.hold, holder: started.holder };
      this.log.debug(`skipping job ${cmd.jobId}: ${started.reason}`);
      return 'done';
    }
    const { job, agent } = started;
    const timeout = job.timeoutMs ? AbortSignal.timeout(job.timeoutMs) : undefined;
    try {
      const result = await this.llm.generate({
        model: agent.model,
        system: systemPromptOf(agent),
        messages: taskMessages(job.input, job.data),
        abortSignal: timeout ? AbortSignal.any([cancel, timeout]) : cancel,
      });
      await this.execution.complete(job, result);
    } catch (e) {
      if (cancel.aborted) return 'done'; // cancelled: the store already says so
      if (timeout?.aborted) await this.execution.fail(job, `timed out after ${job.timeoutMs} ms`);
      else if (e instanceof LlmCallError) await this.execution.fail(job, e.message);
      else throw e;
    }
    return 'done';
  }
}
