import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Agent, CreateAgent, isUuid, notFound, PageOf, PageQuery, partitionOf, UpdateAgent } from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { AgentEntity, AgentsRepository } from '@wiz/persistence';
import { makeEvent, StateChanges } from '@wiz/queue';
import { BusService } from '@wiz/bus';
import { toAgent } from './agent.mapper';

@Injectable()
export class AgentsService {
  constructor(
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly agents: AgentsRepository,
    private readonly changes: StateChanges,
    private readonly bus: BusService,
  ) {}

  async create(ownerId: string, body: CreateAgent): Promise<Agent> {
    const now = new Date();
    const id = randomUUID();
    const entity = Object.assign(new AgentEntity(), {
      id,
      ownerId,
      name: body.name,
      role: body.role,
      backstory: body.backstory ?? null,
      goal: body.goal ?? null,
      systemPrompt: body.systemPrompt ?? null,
      model: body.model ?? {},
      status: 'active',
      paused: false,
      doubleTexting: body.doubleTexting ?? 'queue',
      runningJobId: null,
      partition: partitionOf(id, this.config.WIZ_MAILBOX_PARTITIONS),
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    } satisfies AgentEntity);
    const agent = toAgent(entity);
    await this.changes.commit(async (m, emit) => {
      await this.agents.insert(entity, m);
      emit.event(makeEvent('agent.created', { agentId: id, traceId: randomUUID() }, { agent }));
    }, id);
    return agent;
  }

  async list(ownerId: string, page: PageQuery): Promise<PageOf<Agent>> {
    const [items, total] = await this.agents.list(ownerId, page);
    return { items: items.map(toAgent), total, ...page };
  }

  async get(ownerId: string, id: string): Promise<Agent> {
    return toAgent(await this.load(ownerId, id));
  }

  async update(ownerId: string, id: string, patch: UpdateAgent): Promise<Agent> {
    const current = await this.load(ownerId, id);
    const { status, model, ...persona } = patch;
    const next = Object.assign(new AgentEntity(), current, persona, {
      model: model ? { ...current.model, ...model } : current.model,
      // A busy agent stays busy when set active; its job ends it.
      status: status === 'inactive' ? 'inactive' : current.status === 'inactive' && status === 'active' ? 'active' : current.status,
      updatedAt: new Date(),
    });
    const agent = toAgent(next);
    await this.changes.commit(async (m, emit) => {
      const { name, role, backstory, goal, systemPrompt, doubleTexting, updatedAt } = next;
      const changed = await this.agents.update(
        ownerId,
        id,
        { name, role, backstory, goal, systemPrompt, doubleTexting, model: next.model, status: next.status, updatedAt },
        m,
      );
      if (!changed) throw notFound('agent', id);
      emit.event(makeEvent('agent.updated', { agentId: id, traceId: randomUUID() }, { agent }));
    }, id);
    return agent;
  }

  async remove(ownerId: string, id: string): Promise<void> {
    await this.load(ownerId, id);
    await this.changes.commit(async (m, emit) => {
      if (!(await this.agents.update(ownerId, id, { deletedAt: new Date() }, m))) throw notFound('agent', id);
      emit.event(makeEvent('agent.deleted', { agentId: id, traceId: randomUUID() }, { agentId: id }));
    }, id);
  }

  /** A paused agent's queue holds its jobs (they stay queued); a running job finishes. */
  async setPaused(ownerId: string, id: string, paused: boolean): Promise<Agent> {
    const agent = await this.load(ownerId, id);
    if (agent.paused !== paused) {
      await this.changes.commit(async (m, emit) => {
        if (!(await this.agents.update(ownerId, id, { paused, updatedAt: new Date() }, m))) throw notFound('agent', id);
        emit.event(makeEvent(paused ? 'agent.paused' : 'agent.resumed', { agentId: id, traceId: randomUUID() }, { agentId: id }));
      }, id);
      // Actors holding this agent's jobs re-check at once instead of on their next poll.
      if (!paused) this.bus.nc.publish(this.bus.names.control('wake'), JSON.stringify({ agentId: id }));
    }
    return toAgent(Object.assign(agent, { paused }));
  }

  private async load(ownerId: string, id: string): Promise<AgentEntity> {
    const agent = isUuid(id) ? await this.agents.findById(ownerId, id) : null;
    if (!agent) throw notFound('agent', id);
    return agent;
  }
}
