import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { AgentStatus, busNames } from '@wiz/contracts';
import { BusService, provision } from '@wiz/bus';
import {
  AgentEntity,
  AgentsRepository,
  JobsRepository,
  openStore,
  OutboxRepository,
  OwnersRepository,
  UsageRepository,
  WebhooksRepository,
} from '@wiz/persistence';
import {
  BudgetsService,
  JobFlowService,
  JobsService,
  OutboxRelay,
  StateChangesService,
  WebhookDeliveries,
} from '@wiz/queue';
import { cleanup, Isolation, TEST_NATS_URL, TEST_PG_URL } from './isolation';

export type Store = 'postgres' | 'sqlite';

// The queue's services wired by hand on the real bus and store (no Nest), for integration tests
// that drive them directly. `close()` drains the outbox and removes everything it made.
export interface QueueStack {
  nc: NatsConnection;
  ds: DataSource;
  bus: BusService;
  outbox: OutboxRepository;
  relay: OutboxRelay;
  webhooks: WebhookDeliveries;
  changes: StateChangesService;
  agents: AgentsRepository;
  jobRepo: JobsRepository;
  flow: JobFlowService;
  budgets: BudgetsService;
  jobs: JobsService;
  close(): Promise<void>;
}

export async function openQueueStack(iso: Isolation, store: Store): Promise<QueueStack> {
  const dir = mkdtempSync(join(tmpdir(), 'wiz-stack-'));
  const nc = await connect({ servers: TEST_NATS_URL });
  const names = busNames(iso.prefix);
  const jsm = await nc.jetstreamManager();
  await provision(jsm, names, {
    partitions: 1,
    ackWaitMs: 30_000,
    maxDeliver: 2,
    maxAckPending: 10,
    eventsMaxAgeMs: 3_600_000,
    replicas: 1,
  });
  const bus = new BusService(nc, jsm, names);
  const ds = await openStore({
    databaseUrl: store === 'postgres' ? TEST_PG_URL : '',
    schema: iso.schema,
    dataDir: dir,
  });
  const outbox = new OutboxRepository(ds);
  const relay = new OutboxRelay(bus, outbox);
  const webhooks = new WebhookDeliveries(bus, new WebhooksRepository(ds), new OwnersRepository(ds));
  const changes = new StateChangesService(ds, outbox, relay, bus, webhooks);
  const agents = new AgentsRepository(ds);
  const jobRepo = new JobsRepository(ds);
  const flow = new JobFlowService(jobRepo, agents, bus);
  const budgets = new BudgetsService(new UsageRepository(ds), bus);
  const jobs = new JobsService(agents, jobRepo, changes, flow, bus, budgets);
  return {
    nc,
    ds,
    bus,
    outbox,
    relay,
    webhooks,
    changes,
    agents,
    jobRepo,
    flow,
    budgets,
    jobs,
    async close() {
      await relay.drain();
      webhooks.beforeApplicationShutdown();
      await ds.destroy();
      await nc.close();
      await cleanup(iso);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An agent row, not stored: `insertAgent` stores one. */
export function agentRow(ownerId: string, over: Partial<AgentEntity> = {}): AgentEntity {
  const now = new Date();
  return Object.assign(new AgentEntity(), {
    id: crypto.randomUUID(),
    ownerId,
    name: 'Agent',
    role: 'a test agent',
    backstory: null,
    goal: null,
    systemPrompt: null,
    model: {},
    status: 'active' as AgentStatus,
    paused: false,
    loop: {},
    behaviorRules: [],
    behaviorVersion: 0,
    tools: null,
    delegates: null,
    approvals: null,
    doubleTexting: 'queue',
    runningJobId: null,
    partition: 0,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
    ...over,
  } satisfies AgentEntity);
}

/** A stored agent row (no events): for tests that need an agent to exist. */
export async function insertAgent(
  agents: AgentsRepository,
  ownerId: string,
  over: Partial<AgentEntity> = {},
): Promise<AgentEntity> {
  const agent = agentRow(ownerId, over);
  await agents.insert(agent);
  return agent;
}
