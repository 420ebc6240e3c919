import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { BudgetEntity, UsageRecordEntity } from '../entities';
import { Sql } from '../sql';
import { writeTransaction } from '../write-lock';

export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  costNanoUsd: number;
  calls: number;
}
export type UsageGroup = 'agent' | 'model' | 'day';

const num = (v: unknown) => Number(v ?? 0);
const totalsOf = (r: Record<string, unknown> | undefined): UsageTotals => ({
  inputTokens: num(r?.inputTokens),
  outputTokens: num(r?.outputTokens),
  costNanoUsd: num(r?.costNanoUsd),
  calls: num(r?.calls),
});

// The usage ledger and the budgets. Every query is scoped to an owner.
@Injectable()
export class UsageRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async insert(rows: UsageRecordEntity[], m: EntityManager): Promise<void> {
    // Plain SQL: one per completed job (see Sql); nothing reads them in the writing transaction.
    await new Sql(m).insert(UsageRecordEntity, rows, { withCommit: true });
  }

  private sums(alias = 'u') {
    return this.ds
      .getRepository(UsageRecordEntity)
      .createQueryBuilder(alias)
      .select(`SUM(${alias}.inputTokens)`, 'inputTokens')
      .addSelect(`SUM(${alias}.outputTokens)`, 'outputTokens')
      .addSelect(`SUM(${alias}.costNanoUsd)`, 'costNanoUsd')
      .addSelect('COUNT(*)', 'calls');
  }

  /** Totals of `ownerId` in [from, to), grouped; day keys are UTC dates (YYYY-MM-DD). */
  async grouped(
    ownerId: string,
    groupBy: UsageGroup,
    from: Date,
    to: Date,
  ): Promise<Array<UsageTotals & { key: string }>> {
    const q = this.sums()
      .where('u.ownerId = :ownerId', { ownerId })
      .andWhere('u.createdAt >= :from AND u.createdAt < :to', { from: from.getTime(), to: to.getTime() });
    if (groupBy === 'agent') q.addSelect('u.agentId', 'key').groupBy('u.agentId');
    else if (groupBy === 'model') q.addSelect('u.model', 'key').groupBy('u.model');
    else {
      // Integer division of epoch ms by a day: the same on Postgres (bigint) and SQLite.
      q.addSelect('(u.createdAt / 86400000)', 'key').groupBy('(u.createdAt / 86400000)');
    }
    const rows: Array<Record<string, unknown>> = await q.getRawMany();
    return rows
      .map((r) => ({
        key:
          groupBy === 'day' ? new Date(Math.floor(num(r.key)) * 86_400_000).toISOString().slice(0, 10) : String(r.key),
        ...totalsOf(r),
      }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Totals of the owner (of one agent, if given) since `since`: what budgets are checked against. */
  async since(ownerId: string, since: Date, agentId?: string): Promise<UsageTotals> {
    const q = this.sums()
      .where('u.ownerId = :ownerId', { ownerId })
      .andWhere('u.createdAt >= :since', { since: since.getTime() });
    if (agentId) q.andWhere('u.agentId = :agentId', { agentId });
    return totalsOf(await q.getRawOne());
  }

  async ofJobs(ownerId: string, jobIds: string[]): Promise<UsageTotals> {
    if (!jobIds.length) return totalsOf(undefined);
    return totalsOf(
      await this.sums()
        .where('u.ownerId = :ownerId', { ownerId })
        .andWhere({ jobId: In(jobIds) })
        .getRawOne(),
    );
  }

  budgets(ownerId: string): Promise<BudgetEntity[]> {
    return this.ds.getRepository(BudgetEntity).find({ where: { ownerId }, order: { agentId: 'ASC', period: 'ASC' } });
  }

  /** Replaces the owner's budgets with `rows` (one transaction). */
  async replaceBudgets(ownerId: string, rows: BudgetEntity[]): Promise<void> {
    await writeTransaction(this.ds, async (m) => {
      await m.getRepository(BudgetEntity).delete({ ownerId });
      if (rows.length) await m.getRepository(BudgetEntity).insert(rows);
    });
  }
}
