import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Budget, BudgetList, UsageReport, UsageQuery, WizError } from '@wiz/contracts';
import { BusService, OwnerCache } from '@wiz/bus';
import { BudgetEntity, UsageRepository } from '@wiz/persistence';
import { budgetRefusals } from '@wiz/telemetry';

const NANO = 1e9;
const PERIODLY = { day: 'daily', month: 'monthly' } as const;

/** Start of the calendar period (UTC) that contains `now`. */
export function periodStart(period: 'day' | 'month', now = new Date()): Date {
  return period === 'day'
    ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()))
    : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

// Owners' budgets, checked against the usage ledger in the store (so they hold cluster-wide):
// a spent budget refuses new jobs (429) and stops running ones at their next model call. The
// budgets themselves are kept in memory per owner (OwnerCache: a change applies everywhere at
// once, or after 10 s if its message is lost); the usage is read whenever one applies.
@Injectable()
export class BudgetsService implements BeforeApplicationShutdown {
  private readonly budgetsOf: OwnerCache<BudgetEntity[]>;

  constructor(
    private readonly usage: UsageRepository,
    bus: BusService,
  ) {
    this.budgetsOf = new OwnerCache(bus, 'budgets', (ownerId) => usage.budgets(ownerId));
  }

  beforeApplicationShutdown(): void {
    this.budgetsOf.close();
  }

  /**
   * Why a job of `agentId` may not spend now, or null. `counted`: awaited before the spending is
   * read, when a budget applies (a run's usage still committing in the background).
   */
  async stopReason(ownerId: string, agentId: string, counted?: () => Promise<void>): Promise<string | null> {
    const budgets = (await this.budgetsOf.get(ownerId)).filter((b) => b.agentId === '' || b.agentId === agentId);
    if (budgets.length) await counted?.();
    for (const b of budgets) {
      const since = periodStart(b.period);
      const used = await this.usage.since(ownerId, since, b.agentId || undefined);
      const scope = b.agentId ? `agent ${b.agentId}'s` : 'the owner';
      const tokens = used.inputTokens + used.outputTokens;
      if (b.maxTokens !== null && tokens >= b.maxTokens)
        return `budget exceeded: ${scope} ${PERIODLY[b.period]} token budget (${tokens} of ${b.maxTokens} tokens used since ${since.toISOString()})`;
      if (b.maxCostNanoUsd !== null && used.costNanoUsd >= b.maxCostNanoUsd)
        return `budget exceeded: ${scope} ${PERIODLY[b.period]} cost budget ($${(used.costNanoUsd / NANO).toFixed(6)} of $${(b.maxCostNanoUsd / NANO).toFixed(6)} used since ${since.toISOString()})`;
    }
    return null;
  }

  /** Refuses a new job when a budget is spent (429 with the budget named). */
  async assertCanSubmit(ownerId: string, agentId: string): Promise<void> {
    const reason = await this.stopReason(ownerId, agentId);
    if (reason) {
      budgetRefusals.inc({ where: 'submit' });
      throw new WizError('rate_limited', reason);
    }
  }

  async list(ownerId: string): Promise<BudgetList> {
    return { budgets: (await this.usage.budgets(ownerId)).map(toBudget) };
  }

  async replace(ownerId: string, list: BudgetList): Promise<BudgetList> {
    const now = new Date();
    const rows = list.budgets.map((b) =>
      Object.assign(new BudgetEntity(), {
        id: randomUUID(),
        ownerId,
        agentId: b.agentId ?? '',
        period: b.period,
        maxTokens: b.maxTokens ?? null,
        maxCostNanoUsd: b.maxCostUsd == null ? null : Math.round(b.maxCostUsd * NANO),
        updatedAt: now,
      }),
    );
    const keys = new Set(rows.map((r) => `${r.agentId}/${r.period}`));
    if (keys.size !== rows.length)
      throw new WizError('validation_failed', 'one budget per agent (or owner) and period');
    await this.usage.replaceBudgets(ownerId, rows);
    this.budgetsOf.changed(ownerId);
    return this.list(ownerId);
  }

  async report(ownerId: string, q: UsageQuery): Promise<UsageReport> {
    const to = q.to ? new Date(q.to) : new Date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * 86_400_000);
    const groups = await this.usage.grouped(ownerId, q.groupBy, from, to);
    return {
      groupBy: q.groupBy,
      from: from.toISOString(),
      to: to.toISOString(),
      groups: groups.map((g) => ({
        key: g.key,
        calls: g.calls,
        inputTokens: g.inputTokens,
        outputTokens: g.outputTokens,
        costUsd: g.costNanoUsd / NANO,
      })),
    };
  }
}

function toBudget(b: BudgetEntity): Budget {
  return {
    ...(b.agentId ? { agentId: b.agentId } : {}),
    period: b.period,
    maxTokens: b.maxTokens,
    maxCostUsd: b.maxCostNanoUsd === null ? null : b.maxCostNanoUsd / NANO,
  };
}
