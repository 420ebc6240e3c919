import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  AdjustBehavior,
  Agent,
  CreateAgent,
  isUuid,
  MAX_BEHAVIOR_RULES,
  notFound,
  PageOf,
  PageQuery,
  partitionOf,
  UpdateAgent,
  WizError,
} from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { AgentEntity, AgentsRepository, MemoryItemsRepository, OwnerCaps, ProvidersRepository } from '@wiz/persistence';
import { makeEvent, StateChangesService } from '@wiz/queue';
import { BusService } from '@wiz/bus';
import { toAgent } from './agent.mapper';
import { traceIdOrNew } from '@wiz/telemetry';

@Injectable()
export class AgentsService {
  constructor(
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly agents: AgentsRepository,
    private readonly changes: StateChangesService,
    private readonly bus: BusService,
    private readonly providers: ProvidersRepository,
    private readonly caps: OwnerCaps,
    private readonly memory: MemoryItemsRepository,
  ) {}

  async create(ownerId: string, body: CreateAgent): Promise<Agent> {
    await this.checkProvider(ownerId, body.model?.provider);
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
      loop: body.loop ?? {},
      behaviorRules: dedupe(body.behaviorRules ?? []),
      behaviorVersion: 0,
      tools: body.tools ?? null,
      delegates: body.delegates ?? null,
      approvals: body.approvals ?? null,
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
    await this.changes.commit(
      async (m, emit) => {
        await this.caps.check(m, 'agents', ownerId);
        await this.agents.insert(entity, m);
        emit.event(makeEvent('agent.created', { agentId: id, traceId: traceIdOrNew() }, { agent }));
      },
      OwnerCaps.key('agents', ownerId),
    );
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
    await this.checkProvider(ownerId, patch.model?.provider);
    const { status, model, loop, ...persona } = patch;
    const next = Object.assign(new AgentEntity(), current, persona, {
      model: model ? { ...current.model, ...model } : current.model,
      loop: loop ? { ...current.loop, ...loop } : current.loop,
      // A busy agent stays busy when set active; its job ends it.
      status:
        status === 'inactive'
          ? 'inactive'
          : current.status === 'inactive' && status === 'active'
            ? 'active'
            : current.status,
      updatedAt: new Date(),
    });
    const agent = toAgent(next);
    await this.changes.commit(async (m, emit) => {
      const { name, role, backstory, goal, systemPrompt, tools, delegates, approvals, doubleTexting, updatedAt } = next;
      const changed = await this.agents.update(
        ownerId,
        id,
        {
          name,
          role,
          backstory,
          goal,
          systemPrompt,
          tools,
          delegates,
          approvals,
          doubleTexting,
          model: next.model,
          loop: next.loop,
          status: next.status,
          updatedAt,
        },
        m,
      );
      if (!changed) throw notFound('agent', id);
      emit.event(makeEvent('agent.updated', { agentId: id, traceId: traceIdOrNew() }, { agent }));
    }, id);
    return agent;
  }

  async remove(ownerId: string, id: string): Promise<void> {
    await this.load(ownerId, id);
    await this.changes.commit(async (m, emit) => {
      if (!(await this.agents.update(ownerId, id, { deletedAt: new Date() }, m))) throw notFound('agent', id);
      // Nothing reaches a deleted agent's memory: without this, deleting and creating agents
      // would get round WIZ_MAX_MEMORY_ITEMS_PER_AGENT.
      await this.memory.deleteOfAgent(ownerId, id, m);
      emit.event(makeEvent('agent.deleted', { agentId: id, traceId: traceIdOrNew() }, { agentId: id }));
    }, id);
  }

  /**
   * Behavior adjustment: rules merged into the profile (or replacing it), stored with a new
   * version. The runner reads the agent when a job starts, so it applies from the next job.
   */
  async adjustBehavior(ownerId: string, id: string, body: AdjustBehavior): Promise<Agent> {
    const current = await this.load(ownerId, id);
    const removed = new Set((body.remove ?? []).map(normalise));
    const base = body.replace ? [] : current.behaviorRules.filter((r) => !removed.has(normalise(r)));
    const rules = dedupe([...base, ...body.rules]);
    if (rules.length > MAX_BEHAVIOR_RULES) {
      throw new WizError(
        'validation_failed',
        `an agent holds at most ${MAX_BEHAVIOR_RULES} behavior rules (this change makes ${rules.length})`,
      );
    }
    const next = Object.assign(new AgentEntity(), current, {
      behaviorRules: rules,
      behaviorVersion: current.behaviorVersion + 1,
      updatedAt: new Date(),
    });
    const agent = toAgent(next);
    await this.changes.commit(async (m, emit) => {
      const patch = { behaviorRules: rules, behaviorVersion: next.behaviorVersion, updatedAt: next.updatedAt };
      if (!(await this.agents.update(ownerId, id, patch, m))) throw notFound('agent', id);
      emit.event(makeEvent('agent.updated', { agentId: id, traceId: traceIdOrNew() }, { agent }));
    });
    return agent;
  }

  /** A paused agent's queue holds its jobs (they stay queued); a running job finishes. */
  async setPaused(ownerId: string, id: string, paused: boolean): Promise<Agent> {
    const agent = await this.load(ownerId, id);
    if (agent.paused !== paused) {
      await this.changes.commit(async (m, emit) => {
        if (!(await this.agents.update(ownerId, id, { paused, updatedAt: new Date() }, m))) throw notFound('agent', id);
        emit.event(
          makeEvent(
            paused ? 'agent.paused' : 'agent.resumed',
            { agentId: id, traceId: traceIdOrNew() },
            { agentId: id },
          ),
        );
      }, id);
      // Actors holding this agent's jobs re-check at once instead of on their next poll.
      if (!paused) this.bus.publishControl('wake', { agentId: id });
    }
    return toAgent(Object.assign(agent, { paused }));
  }

  private async checkProvider(ownerId: string, providerId: string | undefined): Promise<void> {
    if (providerId && !(await this.providers.findById(ownerId, providerId))) {
      throw new WizError('validation_failed', `unknown provider ${providerId}`, [
        { path: 'model.provider', message: 'no such provider' },
      ]);
    }
  }

  private async load(ownerId: string, id: string): Promise<AgentEntity> {
    const agent = isUuid(id) ? await this.agents.findById(ownerId, id) : null;
    if (!agent) throw notFound('agent', id);
    return agent;
  }
}

const normalise = (rule: string) => rule.trim().replace(/\s+/g, ' ').toLowerCase();

/** Rules in order, without repeats (compared ignoring case and spacing). */
function dedupe(rules: string[]): string[] {
  const seen = new Set<string>();
  return rules.filter((r) => !seen.has(normalise(r)) && (seen.add(normalise(r)), true));
}
