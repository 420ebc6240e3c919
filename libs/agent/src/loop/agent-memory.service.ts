import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AgentEntity, AgentStateEntity, AgentStatesRepository, JobEntity } from '@wiz/persistence';
import type { ContextState } from './context.store';
import { clip } from '@wiz/contracts';

const KEEP_LEARNINGS = 50;
const KEEP_ACTIVITIES = 50;

// AgentInternalState (long-term memory): loaded for every job; at the end of a job what it
// learned (the `remember` tool) is promoted into it, and the job joins its list of activities.
@Injectable()
export class AgentMemoryService {
  constructor(private readonly states: AgentStatesRepository) {}

  load(agent: AgentEntity): Promise<AgentStateEntity | null> {
    return this.states.find(agent.ownerId, agent.id);
  }

  /** `loaded`: the state as read at the start of the job (one agent runs one job at a time). */
  async promote(
    agent: AgentEntity,
    job: JobEntity,
    ctx: ContextState,
    outcome: 'completed' | 'failed',
    summary: string,
    loaded: AgentStateEntity | null,
    m?: EntityManager,
  ): Promise<void> {
    const current = loaded ?? this.empty(agent);
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
    await this.states.save(
      Object.assign(current, {
        goals: agent.goal && !current.goals.includes(agent.goal) ? [...current.goals, agent.goal] : current.goals,
        learnings: learnings.slice(-KEEP_LEARNINGS),
        knowledge,
        activities: activities.slice(-KEEP_ACTIVITIES),
        updatedAt: new Date(),
      }),
      m,
    );
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
