import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AgentEntity, isStaleContext, JobEntity, UsageRecordEntity, UsageRepository } from '@wiz/persistence';
import { BudgetsService, StateChangesService } from '@wiz/queue';
import { AgentMemoryService, LoadedMemory } from '../agent-memory.service';
import { ContextSnapshot, ContextState, ContextStore, LiveContext, rewriteNext } from '../context.store';
import type { Write } from './loop-outcome';

// Where a run reads and writes: the job's context, the agent's long-term memory, the usage ledger
// (and the budgets it is checked against), and the transaction that commits a save with its events.
@Injectable()
export class RunJournalService {
  constructor(
    private readonly contexts: ContextStore,
    private readonly memories: AgentMemoryService,
    private readonly changes: StateChangesService,
    private readonly usage: UsageRepository,
    private readonly budgets: BudgetsService,
  ) {}

  /** The job's context (resumed where a previous delivery left it) and the agent's memory. */
  async load(job: JobEntity, agent: AgentEntity): Promise<[LiveContext, LoadedMemory]> {
    const [ctx, state] = await Promise.all([this.contexts.load(job), this.memories.load(agent)]);
    this.contexts.resume(job, ctx);
    return [ctx, state];
  }

  saveContext(
    ctx: LiveContext,
    m: EntityManager,
    o: { withCommit?: boolean } = {},
    snap?: ContextSnapshot,
  ): Promise<void> {
    return this.contexts.save(ctx, m, o, snap);
  }

  /** The context as it is now, for a save that commits later (ContextStore.snapshot). */
  snapshot(ctx: LiveContext): ContextSnapshot {
    return this.contexts.snapshot(ctx);
  }

  promote(
    agent: AgentEntity,
    job: JobEntity,
    s: ContextState,
    failure: string | undefined,
    loaded: LoadedMemory,
    m: EntityManager,
  ): Promise<void> {
    const summary = failure ?? s.partialOutputs[s.partialOutputs.length - 1] ?? '';
    return this.memories.promote(agent, job, s, failure === undefined ? 'completed' : 'failed', summary, loaded, m);
  }

  /** The job's end was committed (`stored`) or its fate is unknown: see AgentMemoryService.settled. */
  settled(agentId: string, stored: boolean): void {
    this.memories.settled(agentId, stored);
  }

  saveUsage(rows: UsageRecordEntity[], m: EntityManager): Promise<void> {
    return this.usage.insert(rows, m);
  }

  /** Why the owner's budgets stop a job of `agentId` now, if they do (cluster-wide, from the store). */
  budgetStop(ownerId: string, agentId: string, counted: () => Promise<void>): Promise<string | null> {
    return this.budgets.stopReason(ownerId, agentId, counted);
  }

  commit(write: Write): Promise<void> {
    return this.changes.commit(write);
  }

  /**
   * Commits a step's save, `write(true)` saving `ctx` with its append sent with the commit (one
   * round trip for the save; ContextStore.save). If the store held another context (the append
   * failed the transaction, nothing written), the save runs again, writing the context whole.
   */
  async commitSave(ctx: LiveContext, write: (withCommit: boolean) => Write): Promise<void> {
    try {
      await this.changes.commit(write(true));
    } catch (e) {
      if (!isStaleContext(e)) throw e;
      rewriteNext(ctx);
      await this.changes.commit(write(false));
    }
  }
}
