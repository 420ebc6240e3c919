import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AgentEntity, MemoryItemEntity, MemoryItemsRepository, OwnerCaps } from '@wiz/persistence';
import { makeEvent, StateChangesService } from '@wiz/queue';
import { Embedder } from './embedder';
import { traceIdOrNew } from '@wiz/telemetry';

export type Metadata = Record<string, string | number | boolean>;

export interface MemoryHit {
  id: string;
  text: string;
  metadata: Metadata;
  createdAt: string;
  /** Cosine similarity to the query (by meaning only). */
  score?: number;
}

/** Items scanned per query: memory is per agent, and ranked in process. */
const SCAN = 2_000;

// An agent's memory items: saved with their embedding from the agent's provider (see Embedder),
// found by metadata filters and, with a query, by cosine similarity of embeddings.
@Injectable()
export class MemoryStore {
  constructor(
    private readonly embedder: Embedder,
    private readonly repo: MemoryItemsRepository,
    private readonly changes: StateChangesService,
    private readonly caps: OwnerCaps,
  ) {}

  /**
   * Saved even when the embedding fails (then found by filters only); says which. `jobId`: the
   * job that saved it (null from the REST API). Published as `memory.update`.
   */
  async save(
    agent: AgentEntity,
    jobId: string | null,
    text: string,
    metadata: Metadata,
    traceId: string = traceIdOrNew(),
  ): Promise<{ id: string; embedded: boolean }> {
    const embedding = await this.embedder.embed(agent, text);
    const item = Object.assign(new MemoryItemEntity(), {
      id: randomUUID(),
      ownerId: agent.ownerId,
      agentId: agent.id,
      text,
      metadata,
      embedding,
      jobId,
      createdAt: new Date(),
    });
    await this.changes.commit(
      async (m, emit) => {
        await this.caps.check(m, 'memoryItems', agent.ownerId, agent.id);
        await this.repo.insert(item, m);
        const data = { item: { id: item.id, text, metadata, createdAt: item.createdAt.toISOString() } };
        emit.event(makeEvent('memory.update', { agentId: agent.id, ...(jobId ? { jobId } : {}), traceId }, data));
      },
      OwnerCaps.key('memoryItems', agent.ownerId, agent.id),
    );
    return { id: item.id, embedded: embedding !== null };
  }

  async query(agent: AgentEntity, q: { query?: string; filter?: Metadata; limit: number }): Promise<MemoryHit[]> {
    const items = (await this.repo.recent(agent.ownerId, agent.id, SCAN)).filter((i) =>
      Object.entries(q.filter ?? {}).every(([k, v]) => i.metadata[k] === v),
    );
    const hit = (i: MemoryItemEntity, score?: number): MemoryHit => ({
      id: i.id,
      text: i.text,
      metadata: i.metadata,
      createdAt: i.createdAt.toISOString(),
      ...(score !== undefined ? { score: Math.round(score * 1_000) / 1_000 } : {}),
    });
    if (!q.query) return items.slice(0, q.limit).map((i) => hit(i));
    const v = await this.embedder.embed(agent, q.query);
    if (!v) throw new Error('the embedding model is unavailable: query by filters only (no `query`)');
    return items
      .filter((i) => i.embedding?.length === v.length)
      .map((i) => ({ i, score: cosine(v, i.embedding!) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, q.limit)
      .map(({ i, score }) => hit(i, score));
  }
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
