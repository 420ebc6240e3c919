import { Inject, Injectable } from '@nestjs/common';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { AgentEntity, AgentsRepository, JobEntity, JobsRepository } from '@wiz/persistence';
import { JobFlow, JobsService, StateChanges } from '@wiz/queue';
import { MessagesService } from '@wiz/conversations';
import { ToolError } from './tool';
import { MemoryStore } from '@wiz/memory';
import { Workspace } from './workspace/workspace';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_AGENTS_LISTED = 1_000;

// What tool handlers use: the owner's agents and jobs, the guards of delegation, the workspace,
// the memory store, conversations.
@Injectable()
export class ToolServices {
  constructor(
    @Inject(WIZ_CONFIG) readonly config: WizConfig,
    readonly agents: AgentsRepository,
    readonly jobs: JobsRepository,
    readonly jobsService: JobsService,
    readonly workspace: Workspace,
    readonly changes: StateChanges,
    readonly flow: JobFlow,
    readonly memory: MemoryStore,
    readonly messages: MessagesService,
  ) {}

  async agentsOf(ownerId: string): Promise<AgentEntity[]> {
    return (await this.agents.list(ownerId, { limit: MAX_AGENTS_LISTED, offset: 0 }))[0];
  }

  /** An agent of the owner by id or by name (names are matched case-insensitively). */
  async resolve(ownerId: string, ref: string): Promise<AgentEntity> {
    if (UUID.test(ref)) {
      const byId = await this.agents.findById(ownerId, ref);
      if (byId) return byId;
    }
    const named = (await this.agentsOf(ownerId)).filter((a) => a.name.toLowerCase() === ref.trim().toLowerCase());
    if (named.length === 1) return named[0]!;
    if (named.length > 1)
      throw new ToolError(
        `${named.length} agents are named "${ref}": name one by its id (${named.map((a) => a.id).join(', ')})`,
      );
    throw new ToolError(`no agent "${ref}"; call list_agents to see who exists`);
  }

  /** Whether `from` may delegate to or message `to` (its `delegates` list; null: anyone). */
  mayReach(from: AgentEntity, to: AgentEntity): boolean {
    if (!from.delegates) return true;
    const refs = new Set(from.delegates.map((d) => d.toLowerCase()));
    return refs.has(to.id.toLowerCase()) || refs.has(to.name.toLowerCase());
  }

  /**
   * The guards of a new child of `job` for `target`: permission, an active target, depth of the
   * chain (a job and its ancestors), children per job. `pending`: children asked for in this step.
   */
  async checkChild(job: JobEntity, from: AgentEntity, target: AgentEntity, pending: number): Promise<void> {
    if (!this.mayReach(from, target)) {
      throw new ToolError(
        `you may not delegate to ${target.name}; you may delegate to: ${from.delegates!.join(', ') || 'nobody'}`,
      );
    }
    if (target.status === 'inactive') throw new ToolError(`agent ${target.name} is inactive and takes no jobs`);
    const chain = await this.chainOf(job);
    const max = this.config.WIZ_DELEGATION_MAX_DEPTH;
    if (chain.length + 1 > max) {
      const names = await this.namesOf(job.ownerId, [...chain.map((j) => j.agentId), target.id]);
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

  private async namesOf(ownerId: string, ids: string[]): Promise<string[]> {
    const all = new Map((await this.agentsOf(ownerId)).map((a) => [a.id, a.name]));
    return ids.map((id) => all.get(id) ?? id);
  }
}
