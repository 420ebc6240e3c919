import { Inject, Injectable, Logger } from '@nestjs/common';
import { RunJobCommand } from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { AgentsRepository } from '@wiz/persistence';
import { JobExecution } from '@wiz/queue';
import { LlmCallError, LlmService } from '@wiz/llm';
import { systemPromptOf, taskMessages } from './persona';

// The agent loop for one job: persona → prompt → model → result. Errors of the model end the
// job `failed` with a readable reason; errors of the store propagate so the mailbox redelivers.
@Injectable()
export class JobRunner {
  private readonly log = new Logger('JobRunner');

  constructor(
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly agents: AgentsRepository,
    private readonly execution: JobExecution,
    private readonly llm: LlmService,
  ) {}

  async run(cmd: RunJobCommand, deliveryCount: number): Promise<void> {
    if (deliveryCount > this.config.WIZ_JOB_MAX_DELIVER) {
      const reason = `job was delivered ${deliveryCount - 1} times without finishing (runtime crashed or lost it each time); giving up`;
      await this.execution.abandon(cmd, reason);
      return;
    }
    const started = await this.execution.start(cmd);
    if (!started.run) {
      this.log.debug(`skipping job ${cmd.jobId}: ${started.reason}`);
      return;
    }
    const { job } = started;
    const agent = await this.agents.findById(job.ownerId, job.agentId);
    if (!agent) {
      await this.execution.fail(job, `agent ${job.agentId} was deleted before the job ran`);
      return;
    }
    try {
      const result = await this.llm.generate({
        model: agent.model,
        system: systemPromptOf(agent),
        messages: taskMessages(job.input, job.data),
      });
      await this.execution.complete(job, result);
    } catch (e) {
      if (!(e instanceof LlmCallError)) throw e;
      await this.execution.fail(job, e.message);
    }
  }
}
