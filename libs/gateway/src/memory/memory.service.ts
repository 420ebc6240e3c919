import { Injectable } from '@nestjs/common';
import { MemoryItem, MemoryQuery, notFound, SaveMemory, WizError } from '@wiz/contracts';
import { MemoryStore } from '@wiz/memory';
import { AgentEntity, AgentsRepository } from '@wiz/persistence';

// The product's memory endpoints on an agent's memory items (the same store as the agent's
// memory_save / memory_query tools, so what one writes the other finds).
@Injectable()
export class MemoryService {
  constructor(
    private readonly agents: AgentsRepository,
    private readonly store: MemoryStore,
  ) {}

  async save(ownerId: string, body: SaveMemory): Promise<{ id: string; embedded: boolean }> {
    return this.store.save(await this.agent(ownerId, body.agentId), null, body.text, body.metadata ?? {});
  }

  async query(ownerId: string, q: MemoryQuery): Promise<{ items: MemoryItem[] }> {
    const agent = await this.agent(ownerId, q.agentId);
    try {
      return { items: await this.store.query(agent, { query: q.query, filter: q.filter, limit: q.limit }) };
    } catch (e) {
      // The embedding model is unavailable: say so, rather than a 500.
      throw new WizError('unavailable', (e as Error).message);
    }
  }

  private async agent(ownerId: string, id: string): Promise<AgentEntity> {
    const agent = await this.agents.findById(ownerId, id);
    if (!agent) throw notFound('agent', id);
    return agent;
  }
}
