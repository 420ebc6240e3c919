import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, EntityTarget, FindOptionsWhere, IsNull, ObjectLiteral } from 'typeorm';
import { quotaExceeded } from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import {
  AgentEntity,
  ApiKeyEntity,
  ConversationEntity,
  ConversationParticipantEntity,
  McpServerEntity,
  MemoryItemEntity,
  ProjectEntity,
  ProviderEntity,
  ScheduleEntity,
  WebhookEntity,
} from './entities';
import { lockOwner, writeTransaction } from './write-lock';

type CapVariable = { [K in keyof WizConfig]-?: K extends `WIZ_MAX_${string}` ? K : never }[keyof WizConfig];

interface Cap {
  variable: CapVariable;
  noun: string;
  entity: EntityTarget<ObjectLiteral>;
  /** The rows that hold a slot: a revoked key or a deleted agent frees its own. */
  live: FindOptionsWhere<ObjectLiteral>;
  /** How a slot is freed (the end of the refusal's message). */
  free: string;
  /**
   * Counted per agent or per conversation (its column), not per owner: counting an owner's million
   * memory items on every save costs ~200 ms.
   */
  per?: 'agentId' | 'conversationId';
}

const CAPS = {
  keys: {
    variable: 'WIZ_MAX_KEYS_PER_OWNER',
    noun: 'API keys',
    entity: ApiKeyEntity,
    live: { revokedAt: IsNull() },
    free: 'revoke one first',
  },
  agents: {
    variable: 'WIZ_MAX_AGENTS_PER_OWNER',
    noun: 'agents',
    entity: AgentEntity,
    live: { deletedAt: IsNull() },
    free: 'delete one first',
  },
  schedules: {
    variable: 'WIZ_MAX_SCHEDULES_PER_OWNER',
    noun: 'schedules',
    entity: ScheduleEntity,
    live: {},
    free: 'delete one first',
  },
  webhooks: {
    variable: 'WIZ_MAX_WEBHOOKS_PER_OWNER',
    noun: 'webhooks',
    entity: WebhookEntity,
    live: {},
    free: 'delete one first',
  },
  mcpServers: {
    variable: 'WIZ_MAX_MCP_SERVERS_PER_OWNER',
    noun: 'MCP servers',
    entity: McpServerEntity,
    live: {},
    free: 'delete one first',
  },
  providers: {
    variable: 'WIZ_MAX_PROVIDERS_PER_OWNER',
    noun: 'providers',
    entity: ProviderEntity,
    live: {},
    free: 'delete one first',
  },
  projects: {
    variable: 'WIZ_MAX_PROJECTS_PER_OWNER',
    noun: 'projects',
    entity: ProjectEntity,
    live: {},
    free: 'delete one without channels first',
  },
  conversations: {
    variable: 'WIZ_MAX_CONVERSATIONS_PER_OWNER',
    noun: 'conversations',
    entity: ConversationEntity,
    live: { deletedAt: IsNull() },
    free: 'delete one whose jobs have ended first',
  },
  memoryItems: {
    variable: 'WIZ_MAX_MEMORY_ITEMS_PER_AGENT',
    noun: 'memory items',
    entity: MemoryItemEntity,
    live: {},
    free: 'deleting the agent deletes its memory; the operator may raise the limit',
    per: 'agentId',
  },
  participants: {
    variable: 'WIZ_MAX_PARTICIPANTS_PER_CONVERSATION',
    noun: 'participants',
    entity: ConversationParticipantEntity,
    live: {},
    free: 'remove one first',
    per: 'conversationId',
  },
} satisfies Record<string, Cap>;

export type OwnerCapKind = keyof typeof CAPS;

/**
 * The one mechanism for per-owner caps (keys, agents, schedules, webhooks, MCP servers,
 * providers, projects, conversations; memory items per agent; participants per conversation).
 * The count and the insert share a transaction that holds the owner's lock for that kind
 * (lockOwner: a Postgres advisory lock; SQLite's write transactions run one at a time), so creates
 * racing on any number of gateways never pass the cap together. Every count reads an index that
 * starts with `ownerId` and at most the cap's number of entries. One more → 429 `quota_exceeded` with `limit: {name, max}`.
 */
@Injectable()
export class OwnerCaps {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
  ) {}

  /**
   * The group-commit key (StateChangesService.commit) of a unit that calls `check`: it sorts owner
   * locks before agent rows and orders them by owner and kind, so groups take them in one order.
   */
  static key(kind: OwnerCapKind, ownerId: string, scopeId?: string): string {
    return `!owner:${ownerId}:${kind}${scopeId ? `:${scopeId}` : ''}`;
  }

  /**
   * Inside transaction `m`, before the insert: takes the owner's lock for `kind` (held until the
   * transaction ends) and refuses when the owner (kinds counted per agent or per conversation:
   * `scopeId`, that one) holds the cap.
   */
  async check(m: EntityManager, kind: OwnerCapKind, ownerId: string, scopeId?: string): Promise<void> {
    const cap: Cap = CAPS[kind];
    if (cap.per && !scopeId) throw new Error(`the ${kind} cap is counted per ${cap.per}: pass it`);
    await lockOwner(m, cap.per ? `${kind}:${scopeId}` : kind, ownerId);
    const where = { ...cap.live, ownerId, ...(cap.per ? { [cap.per]: scopeId } : {}) };
    const max = this.config[cap.variable];
    if ((await m.getRepository(cap.entity).count({ where })) < max) return;
    throw this.refusal(cap, `${this.holder(cap, ownerId, scopeId)} already has ${max} ${cap.noun}`);
  }

  /**
   * For `count` rows of a scope created in the same transaction (a new channel's participants):
   * it holds none yet, so there is nothing to lock or count.
   */
  checkNew(kind: OwnerCapKind, ownerId: string, scopeId: string, count: number): void {
    const cap: Cap = CAPS[kind];
    const max = this.config[cap.variable];
    if (count > max)
      throw this.refusal(cap, `${this.holder(cap, ownerId, scopeId)} would have ${count} ${cap.noun}, over ${max}`);
  }

  private holder(cap: Cap, ownerId: string, scopeId?: string): string {
    return cap.per === 'agentId' ? `agent ${scopeId}` : cap.per ? `conversation ${scopeId}` : `owner ${ownerId}`;
  }

  private refusal(cap: Cap, why: string): Error {
    return quotaExceeded(`${why} (${cap.variable}); ${cap.free}`, {
      name: cap.variable,
      max: this.config[cap.variable],
    });
  }

  /** `check`, then `insert`, in one write transaction of their own. */
  insert<T>(kind: OwnerCapKind, ownerId: string, insert: (m: EntityManager) => Promise<T>): Promise<T> {
    return writeTransaction(this.ds, async (m) => {
      await this.check(m, kind, ownerId);
      return insert(m);
    });
  }
}
