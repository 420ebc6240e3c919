import { Injectable } from '@nestjs/common';
import { OwnersRepository } from '@wiz/persistence';

const MAX_CACHED = 100_000;

// The owner of an event, for the `owner` topic. Events name their agent, not their owner, so
// the gateway looks the agent up once and remembers it (an agent's owner never changes).
// Kept out of the event subject on purpose: no wire-format change for this.
@Injectable()
export class OwnerResolver {
  private readonly byAgent = new Map<string, string | null>();

  constructor(private readonly owners: OwnersRepository) {}

  /** The owner if already known, without waiting (undefined: look it up with `resolve`). */
  known(agentId: string): string | null | undefined {
    return this.byAgent.get(agentId);
  }

  async resolve(agentId: string): Promise<string | null> {
    const known = this.byAgent.get(agentId);
    if (known !== undefined) return known;
    const owner = await this.owners.ofAgent(agentId);
    if (this.byAgent.size >= MAX_CACHED) this.byAgent.clear();
    // An unknown agent is not cached: its row may just not be visible yet.
    if (owner) this.byAgent.set(agentId, owner);
    return owner;
  }
}
