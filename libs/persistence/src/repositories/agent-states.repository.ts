import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AgentStateEntity } from '../entities';
import { Sql } from '../sql';

// Queries only; every query takes the owner (STYLE.md rule 6).
@Injectable()
export class AgentStatesRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  // Plain SQL (see Sql): read and written by every job.
  async find(ownerId: string, agentId: string, m?: EntityManager): Promise<AgentStateEntity | null> {
    const [row] = await new Sql(m ?? this.ds.manager).find(AgentStateEntity, { ownerId, agentId });
    return row ?? null;
  }

  async save(state: AgentStateEntity, m?: EntityManager): Promise<void> {
    await new Sql(m ?? this.ds.manager).upsert(AgentStateEntity, state, 'agentId');
  }

  /** Compare-and-set: writes `state` only if the stored row is still the one written at `previous`. */
  async replace(state: AgentStateEntity, previous: Date, m?: EntityManager): Promise<boolean> {
    const sql = new Sql(m ?? this.ds.manager);
    const { goals, learnings, activities, knowledge, updatedAt } = state;
    const { set, params } = sql.assignments(
      AgentStateEntity,
      { goals, learnings, activities, knowledge, updatedAt },
      1,
    );
    const n = params.length;
    const changed = await sql.run(
      `UPDATE ${sql.table(AgentStateEntity)} SET ${set} WHERE "agentId" = ${sql.p(n + 1)} AND "ownerId" = ${sql.p(n + 2)} AND "updatedAt" = ${sql.p(n + 3)}`,
      [...params, state.agentId, state.ownerId, previous.getTime()],
    );
    return changed === 1;
  }
}
