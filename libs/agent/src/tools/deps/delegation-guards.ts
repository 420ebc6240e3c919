import { Inject, Injectable } from '@nestjs/common';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { AgentEntity, JobEntity, JobsRepository } from '@wiz/persistence';
import { QueueLimits } from '@wiz/queue';
import { ToolError } from '../tool';
import { AgentDirectory } from './agent-directory';

// The limits on a new child job (delegation, ask, sub-job): permission, an active target, the
// depth of the chain and the fan-out per job.
@Injectable()
export class DelegationGuards {
  constructor(
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly directory: AgentDirectory,
    private readonly jobs: JobsRepository,
    private readonly limits: QueueLimits,
  ) {}

  /**
   * The guards of a new child of `job` for `target`: permission, an active target, depth of the
   * chain (a job and its ancestors), children per job. `pending`: children asked for in this step.
   */
  async checkChild(job: JobEntity, from: AgentEntity, target: AgentEntity, pending: number): Promise<void> {
    if (!this.directory.mayReach(from, target)) {
      throw new ToolError(
        `you may not delegate to ${target.name}; you may delegate to: ${from.delegates!.join(', ') || 'nobody'}`,
      );
    }
    if (target.status === 'inactive') throw new ToolError(`agent ${target.name} is inactive and takes no jobs`);
    const chain = await this.chainOf(job);
    const max = this.config.WIZ_DELEGATION_MAX_DEPTH;
    if (chain.length + 1 > max) {
      const names = await this.directory.namesOf(job.ownerId, [...chain.map((j) => j.agentId), target.id]);
      throw new ToolError(
        `delegation depth limit: the chain ${names.join(' → ')} would be ${chain.length + 1} jobs deep (at most ${max}); do the work yourself or answer with what you have`,
      );
    }
    const children = (await this.jobs.childrenOf(job.ownerId, job.id)).length + pending;
    if (children >= this.config.WIZ_DELEGATION_MAX_CHILDREN) {
      throw new ToolError(
        `fan-out limit: this job already has ${children} child jobs (at most ${this.config.WIZ_DELEGATION_MAX_CHILDREN})`,
      );
    }
    // Checked again when the child is created; here so that the model reads the refusal.
    try {
      await this.limits.check(job.ownerId, target.id);
    } catch (e) {
      throw new ToolError(`${target.name}'s queue is full: ${(e as Error).message}`);
    }
  }

  /** The job and its ancestors, root first. */
  async chainOf(job: JobEntity): Promise<JobEntity[]> {
    const chain = [job];
    const seen = new Set([job.id]);
    for (let p = job.parentJobId; p && !seen.has(p);) {
      const parent = await this.jobs.findById(job.ownerId, p);
      if (!parent) break;
      chain.unshift(parent);
      seen.add(parent.id);
      p = parent.parentJobId;
    }
    return chain;
  }
}
