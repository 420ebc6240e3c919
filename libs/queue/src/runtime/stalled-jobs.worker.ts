import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { JobsRepository } from '@wiz/persistence';
import { JobExecutionService, RUN_POLICY, RunPolicy } from '../job-execution.service';
import { PeriodicWorker } from '../periodic.worker';

const EVERY_MS = 5_000;
const BATCH = 100;

// The safety net under the mailbox: finds jobs whose runtime or whose mailbox command is gone.
// - `active` jobs whose lease lapsed (their runtime died, and no redelivery brought them back,
//   e.g. a job an actor had fetched from the store): recovered, i.e. queued again or failed.
// - agents with queued jobs that sat untouched for a lease period while the agent ran
//   nothing: their commands were dropped by an actor that then died. One command is resent,
//   marked `backlog`, and the actor that takes it fetches the rest from the store.
// Every runtime runs this loop; compare-and-set and idempotent commands make repeats harmless.
@Injectable()
export class StalledJobsWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('StalledJobs');
  private readonly loop: PeriodicWorker<{ recovered: number; woken: number }>;

  constructor(
    private readonly jobs: JobsRepository,
    private readonly execution: JobExecutionService,
    @Inject(RUN_POLICY) private readonly policy: RunPolicy,
  ) {
    this.loop = new PeriodicWorker(
      policy.sweepMs ?? EVERY_MS,
      () => this.pass(new Date()),
      (e) => this.log.warn(`looking for stalled jobs failed: ${String(e)}`),
    );
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass; returns how many jobs were recovered and how many agents were woken. */
  async tick(now = new Date()): Promise<{ recovered: number; woken: number }> {
    return (await this.loop.run(() => this.pass(now))) ?? { recovered: 0, woken: 0 };
  }

  private async pass(now: Date): Promise<{ recovered: number; woken: number }> {
    let recovered = 0;
    for (const job of await this.jobs.lapsedActive(now, BATCH)) {
      if (await this.execution.recover(job)) recovered++;
    }
    if (recovered) this.log.warn(`recovered ${recovered} job(s) whose runtime stopped mid-run`);
    let woken = 0;
    for (const { ownerId, agentId } of await this.jobs.idleWithQueued(
      new Date(now.getTime() - this.policy.leaseMs),
      BATCH,
    )) {
      if (!(await this.execution.resendBacklog(ownerId, agentId, now, `resend-${now.getTime()}`))) continue;
      woken++;
    }
    if (woken) this.log.warn(`resent the mailbox commands of ${woken} agent(s) whose queued jobs sat untouched`);
    return { recovered, woken };
  }
}
