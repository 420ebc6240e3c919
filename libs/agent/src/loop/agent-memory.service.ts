import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AgentEntity, AgentStateEntity, AgentStatesRepository, JobEntity } from '@wiz/persistence';
import type { ContextState } from './context.store';
import { clip } from '@wiz/contracts';
import { AgentKey, AgentStateCache } from '../agent-state.cache';

const KEEP_LEARNINGS = 50;
const KEEP_ACTIVITIES = 50;

/** What a job read of the agent's memory: the state, and the lease tenure it was read in. */
export interface LoadedMemory {
  state: AgentStateEntity | null;
  ticket: number | undefined;
}

// AgentInternalState (long-term memory): read at the start of a job (kept between jobs by
// AgentStateCache); at the end of a job what it learned (the `remember` tool) is promoted into it,
// and the job joins its list of activities. That write is a compare-and-set on the state the job
// read: a state changed meanwhile (a job of the agent on another runtime, while a lease moved) is
// read again in the transaction and the job's learnings are merged into it, so none is lost.
@Injectable()
export class AgentMemoryService {
  /** The state each agent's job wrote (or may have), until its transaction's fate is known. */
  private readonly pending = new Map<
    string,
    { agent: AgentKey; state: AgentStateEntity; ticket: number | undefined }
  >();

  constructor(
    private readonly states: AgentStatesRepository,
    private readonly cache: AgentStateCache,
  ) {}

  async load(agent: AgentEntity): Promise<LoadedMemory> {
    this.pending.delete(agent.id);
    const ticket = this.cache.ticket(agent);
    const kept = this.cache.get(agent);
    if (kept !== undefined) return { state: kept, ticket };
    const state = await this.states.find(agent.ownerId, agent.id);
    this.cache.put(agent, ticket, state);
    return { state, ticket };
  }

  /**
   * In the transaction that ends the job; `loaded`: the state as read at its start. May run
   * twice (group commit): it changes nothing it read.
   */
  async promote(
    agent: AgentEntity,
    job: JobEntity,
    ctx: ContextState,
    outcome: 'completed' | 'failed',
    summary: string,
    loaded: LoadedMemory,
    m?: EntityManager,
  ): Promise<void> {
    const next = (base: AgentStateEntity | null) => this.merged(base, agent, job, ctx, outcome, summary);
    // The common case: the state read at the start is still the store's.
    let state = loaded.state && next(loaded.state);
    if (!state || !(await this.states.replace(state, loaded.state!.updatedAt, m))) {
      state = next(await this.states.find(agent.ownerId, agent.id, m));
      await this.states.save(state, m);
    }
    this.pending.set(agent.id, { agent: { id: agent.id, partition: agent.partition }, state, ticket: loaded.ticket });
  }

  /**
   * The job's end was committed (`stored`), or its fate is unknown: keep what it wrote for the
   * agent's next job, or forget the agent's state (the next job reads it).
   */
  settled(agentId: string, stored: boolean): void {
    const p = this.pending.get(agentId);
    this.pending.delete(agentId);
    if (!p) return;
    if (stored) this.cache.put(p.agent, p.ticket, p.state);
    else this.cache.drop(agentId);
  }

  // A new object: `base` may be the kept copy, which a rolled-back transaction must not change.
  private merged(
    base: AgentStateEntity | null,
    agent: AgentEntity,
    job: JobEntity,
    ctx: ContextState,
    outcome: 'completed' | 'failed',
    summary: string,
  ): AgentStateEntity {
    const current = base ?? this.empty(agent);
    const learnings = [...current.learnings];
    const knowledge = { ...current.knowledge };
    for (const l of ctx.learnings) {
      const topic = /^\[(.+?)\] (.*)$/s.exec(l);
      if (topic) knowledge[topic[1]!] = topic[2]!;
      else if (!learnings.includes(l)) learnings.push(l);
    }
    const activities = [
      ...current.activities.filter((a) => a.jobId !== job.id),
      {
        jobId: job.id,
        input: clip(job.input, 200),
        outcome,
        summary: clip(summary, 200),
        at: new Date().toISOString(),
      },
    ];
    return Object.assign(new AgentStateEntity(), {
      agentId: agent.id,
      ownerId: agent.ownerId,
      goals: agent.goal && !current.goals.includes(agent.goal) ? [...current.goals, agent.goal] : [...current.goals],
      learnings: learnings.slice(-KEEP_LEARNINGS),
      knowledge,
      activities: activities.slice(-KEEP_ACTIVITIES),
      // Always later than the state it replaces: the next compare-and-set tells them apart.
      updatedAt: new Date(Math.max(Date.now(), (base?.updatedAt.getTime() ?? 0) + 1)),
    });
  }

  private empty(agent: AgentEntity): AgentStateEntity {
    return Object.assign(new AgentStateEntity(), {
      agentId: agent.id,
      ownerId: agent.ownerId,
      goals: agent.goal ? [agent.goal] : [],
      learnings: [],
      activities: [],
      knowledge: {},
      updatedAt: new Date(),
    });
  }
}
