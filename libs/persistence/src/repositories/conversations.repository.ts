import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, IsNull, Not } from 'typeorm';
import { TERMINAL_JOB_STATUSES } from '@wiz/contracts';
import {
  ConversationEntity,
  ConversationParticipantEntity,
  JobEntity,
  JobWaitEntity,
  MessageEntity,
  ProjectEntity,
} from '../entities';
import type { Page } from '@wiz/contracts';
import { Sql } from '../sql';

/** Messages deleted per statement on SQLite (see `remove`). */
const SQLITE_DELETE_CHUNK = 2_000;

/** What a conversation list may be narrowed to (combined with and). */
export type ConversationFilter = Page & {
  projectId?: string;
  kind?: 'dm' | 'channel';
  agentId?: string;
  userId?: string;
};

// Projects, conversations and their participants. Queries only; every query takes the owner.
@Injectable()
export class ConversationsRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private m(m?: EntityManager): EntityManager {
    return m ?? this.ds.manager;
  }

  async insertProject(p: ProjectEntity, m?: EntityManager): Promise<void> {
    await this.m(m).getRepository(ProjectEntity).insert(p);
  }

  findProject(ownerId: string, id: string, m?: EntityManager): Promise<ProjectEntity | null> {
    return this.m(m).getRepository(ProjectEntity).findOneBy({ ownerId, id });
  }

  listProjects(ownerId: string, page: Page): Promise<[ProjectEntity[], number]> {
    return this.ds.getRepository(ProjectEntity).findAndCount({
      where: { ownerId },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: page.limit,
      skip: page.offset,
    });
  }

  async insert(c: ConversationEntity, m?: EntityManager): Promise<void> {
    await this.m(m).getRepository(ConversationEntity).insert(c);
  }

  // Plain SQL (Sql): read for every message posted and every reply.
  async findById(ownerId: string, id: string, m?: EntityManager): Promise<ConversationEntity | null> {
    const [row] = await new Sql(this.m(m)).find(ConversationEntity, { ownerId, id, deletedAt: null });
    return row ?? null;
  }

  /** Oldest first; `agentId`, `userId`: only conversations where they take part (idx_participants_member). */
  list(ownerId: string, q: ConversationFilter): Promise<[ConversationEntity[], number]> {
    const qb = this.ds
      .getRepository(ConversationEntity)
      .createQueryBuilder('c')
      .where('c.ownerId = :ownerId AND c.deletedAt IS NULL', { ownerId });
    if (q.projectId) qb.andWhere('c.projectId = :projectId', { projectId: q.projectId });
    if (q.kind) qb.andWhere('c.kind = :kind', { kind: q.kind });
    const members = [
      ['pa', 'agent', q.agentId],
      ['pu', 'user', q.userId],
    ] as const;
    for (const [p, kind, id] of members) {
      if (id === undefined) continue;
      qb.andWhere(
        (outer) =>
          `EXISTS ${outer
            .subQuery()
            .select('1')
            .from(ConversationParticipantEntity, p)
            .where(`${p}.ownerId = c.ownerId AND ${p}.kind = :${p}Kind AND ${p}.participantId = :${p}Id`)
            .andWhere(`${p}.conversationId = c.id`)
            .getQuery()}`,
        { [`${p}Kind`]: kind, [`${p}Id`]: id },
      );
    }
    return qb.orderBy('c.createdAt', 'ASC').addOrderBy('c.id', 'ASC').take(q.limit).skip(q.offset).getManyAndCount();
  }

  async addParticipants(rows: ConversationParticipantEntity[], m?: EntityManager): Promise<void> {
    if (rows.length) await this.m(m).getRepository(ConversationParticipantEntity).insert(rows);
  }

  participants(ownerId: string, conversationId: string, m?: EntityManager): Promise<ConversationParticipantEntity[]> {
    return new Sql(this.m(m)).find(
      ConversationParticipantEntity,
      { ownerId, conversationId },
      '"joinedAt" ASC, "kind" ASC, "participantId" ASC',
    );
  }

  participantsOf(ownerId: string, conversationIds: string[]): Promise<ConversationParticipantEntity[]> {
    if (!conversationIds.length) return Promise.resolve([]);
    return this.ds.getRepository(ConversationParticipantEntity).find({
      where: { ownerId, conversationId: In(conversationIds) },
      order: { joinedAt: 'ASC', kind: 'ASC', participantId: 'ASC' },
    });
  }

  async removeParticipant(
    ownerId: string,
    conversationId: string,
    kind: string,
    participantId: string,
    m?: EntityManager,
  ): Promise<boolean> {
    const r = await this.m(m)
      .getRepository(ConversationParticipantEntity)
      .delete({ ownerId, conversationId, kind: kind as ConversationParticipantEntity['kind'], participantId });
    return r.affected === 1;
  }

  /**
   * The conversation's row, locked until the transaction ends on Postgres: `share` by what adds to
   * it (a message, a member), `update` by its deletion, so that neither lands beside the other.
   * SQLite's one writer runs write transactions one at a time: no lock needed. False: no such
   * conversation (any more: deleted ones keep their row, marked).
   */
  lock(ownerId: string, id: string, mode: 'share' | 'update', m: EntityManager): Promise<boolean> {
    return lockRow(m, ConversationEntity, ownerId, id, mode, ' AND "deletedAt" IS NULL');
  }

  /** `lock` for a project (deleted with no row left): `share` by a new channel, `update` by its deletion. */
  lockProject(ownerId: string, id: string, mode: 'share' | 'update', m: EntityManager): Promise<boolean> {
    return lockRow(m, ProjectEntity, ownerId, id, mode, '');
  }

  /**
   * Up to `limit` jobs that keep the conversation from being deleted: its own that have not
   * ended, and any parked on a question or an approval asked in it.
   */
  async unendedJobIds(ownerId: string, conversationId: string, limit: number, m: EntityManager): Promise<string[]> {
    const sql = new Sql(m);
    const rows = await sql.rows(
      `SELECT "id" FROM ${sql.table(JobEntity)} WHERE "ownerId" = ${sql.p(1)} AND "conversationId" = ${sql.p(2)} AND NOT (${sql.inList('"status"', 3)})
       UNION SELECT "jobId" AS "id" FROM ${sql.table(JobWaitEntity)} WHERE "ownerId" = ${sql.p(4)} AND "conversationId" = ${sql.p(5)} AND "status" = 'pending'
       ORDER BY "id" LIMIT ${Number(limit)}`,
      // SQLite's parameters are positional: the ids again for the second part.
      [ownerId, conversationId, sql.list(TERMINAL_JOB_STATUSES), ownerId, conversationId],
    );
    return rows.map((r) => String(r['id']));
  }

  /**
   * Deletes the conversation's participants and messages and marks its row deleted (its jobs
   * stay, with its id; the row, so that its owner is still known). On SQLite, whose statements
   * run on the event loop's thread, the messages go a chunk at a time with the loop served
   * between chunks (100,000 messages in one statement held it 0.7 s); the row is marked first,
   * so that reads meanwhile find it gone.
   */
  async remove(ownerId: string, id: string, m: EntityManager): Promise<void> {
    const now = new Date();
    await m.getRepository(ConversationEntity).update({ ownerId, id }, { deletedAt: now, updatedAt: now });
    await m.getRepository(ConversationParticipantEntity).delete({ ownerId, conversationId: id });
    const sql = new Sql(m);
    if (sql.postgres) {
      await m.getRepository(MessageEntity).delete({ ownerId, conversationId: id });
      return;
    }
    const messages = sql.table(MessageEntity);
    const chunk = `DELETE FROM ${messages} WHERE rowid IN (SELECT rowid FROM ${messages} WHERE "ownerId" = ? AND "conversationId" = ? LIMIT ${SQLITE_DELETE_CHUNK})`;
    while ((await sql.run(chunk, [ownerId, id])) === SQLITE_DELETE_CHUNK) await new Promise((r) => setImmediate(r));
  }

  countOfProject(ownerId: string, projectId: string, m: EntityManager): Promise<number> {
    return m.getRepository(ConversationEntity).countBy({ ownerId, projectId, deletedAt: IsNull() });
  }

  async removeProject(ownerId: string, id: string, m: EntityManager): Promise<void> {
    await m.getRepository(ProjectEntity).delete({ ownerId, id });
  }

  /** The agent's jobs for this conversation that have not ended (double texting), oldest first. */
  unfinishedJobs(ownerId: string, conversationId: string, agentId: string, m?: EntityManager): Promise<JobEntity[]> {
    return this.m(m)
      .getRepository(JobEntity)
      .find({
        where: { ownerId, conversationId, agentId, status: Not(In([...TERMINAL_JOB_STATUSES])) },
        order: { createdAt: 'ASC', id: 'ASC' },
      });
  }
}

async function lockRow(
  m: EntityManager,
  entity: typeof ConversationEntity | typeof ProjectEntity,
  ownerId: string,
  id: string,
  mode: 'share' | 'update',
  /** The condition that the row still counts (a deleted conversation keeps its row). */
  live: string,
): Promise<boolean> {
  const sql = new Sql(m);
  const lock = sql.postgres ? (mode === 'share' ? ' FOR SHARE' : ' FOR UPDATE') : '';
  const rows = await sql.rows(
    `SELECT 1 AS "found" FROM ${sql.table(entity)} WHERE "ownerId" = ${sql.p(1)} AND "id" = ${sql.p(2)}${live}${lock}`,
    [ownerId, id],
  );
  return rows.length > 0;
}
