import { Injectable } from '@nestjs/common';
import { isUuid } from '@wiz/contracts';
import { AgentEntity, AgentsRepository } from '@wiz/persistence';
import { ToolError } from '../tool';

const MAX_AGENTS_LISTED = 1_000;

// The owner's agents as tools see them: listed, named by id or name, and who may reach whom.
@Injectable()
export class AgentDirectory {
  constructor(private readonly agents: AgentsRepository) {}

  async list(ownerId: string): Promise<AgentEntity[]> {
    return (await this.agents.list(ownerId, { limit: MAX_AGENTS_LISTED, offset: 0 }))[0];
  }

  /** An agent of the owner by id or by name (names are matched case-insensitively). */
  async resolve(ownerId: string, ref: string): Promise<AgentEntity> {
    if (isUuid(ref)) {
      const byId = await this.agents.findById(ownerId, ref);
      if (byId) return byId;
    }
    const named = (await this.list(ownerId)).filter((a) => a.name.toLowerCase() === ref.trim().toLowerCase());
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

  /** The names of the agents `ids` (an unknown id stands for itself). */
  async namesOf(ownerId: string, ids: string[]): Promise<string[]> {
    const all = new Map((await this.list(ownerId)).map((a) => [a.id, a.name]));
    return ids.map((id) => all.get(id) ?? id);
  }
}
