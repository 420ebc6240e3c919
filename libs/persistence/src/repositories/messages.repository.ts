import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { MessageEntity } from '../entities';
import { epochMs } from '../entities/columns';
import { Sql } from '../sql';

export interface MessageCursor {
  createdAt: number;
  id: string;
}

/** What a new message's context is built from (the speaker, role and text of earlier messages). */
export type ContextMessage = Pick<
  MessageEntity,
  'authorKind' | 'authorId' | 'authorName' | 'role' | 'content' | 'deletedAt'
>;

// Messages of conversations. Queries only; every query takes the owner. The insert and the page
// are read and written for every message and every reply: plain SQL (Sql), not TypeORM's builder.
@Injectable()
export class MessagesRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private repo(m?: EntityManager) {
    return (m ?? this.ds.manager).getRepository(MessageEntity);
  }

  async insert(msg: MessageEntity, m?: EntityManager): Promise<void> {
    await this.insertMany([msg], m);
  }

  async insertMany(msgs: readonly MessageEntity[], m?: EntityManager): Promise<void> {
    await new Sql(m ?? this.ds.manager).insert(MessageEntity, msgs);
  }

  findById(ownerId: string, conversationId: string, id: string, m?: EntityManager): Promise<MessageEntity | null> {
    return this.repo(m).findOneBy({ ownerId, conversationId, id });
  }

  async update(
    ownerId: string,
    id: string,
    patch: Partial<Pick<MessageEntity, 'content' | 'updatedAt' | 'deletedAt' | 'jobIds'>>,
    m?: EntityManager,
  ): Promise<boolean> {
    const r = await this.repo(m).update({ ownerId, id }, patch);
    return r.affected === 1;
  }

  /** Newest first, strictly older than `before` when given (keyset paging on createdAt, id). */
  async page(
    ownerId: string,
    conversationId: string,
    limit: number,
    before?: MessageCursor,
    m?: EntityManager,
  ): Promise<MessageEntity[]> {
    const sql = new Sql(m ?? this.ds.manager);
    const params: unknown[] = [ownerId, conversationId];
    const p = () => sql.p(params.length); // the parameter just pushed (SQLite: each once, in order)
    let older = '';
    if (before) {
      params.push(before.createdAt);
      older = ` AND ("createdAt" < ${p()}`;
      params.push(before.createdAt);
      older += ` OR ("createdAt" = ${p()}`;
      params.push(before.id);
      older += ` AND "id" < ${p()}))`;
    }
    params.push(limit);
    const rows = await sql.rows(
      `SELECT * FROM ${sql.table(MessageEntity)} WHERE "ownerId" = ${sql.p(1)} AND "conversationId" = ${sql.p(2)}${older}
       ORDER BY "createdAt" DESC, "id" DESC LIMIT ${p()}`,
      params,
    );
    return rows.map((r) => sql.hydrate(MessageEntity, r));
  }

  /**
   * The newest `limit` messages as a context needs them, newest first (`page`'s order). Read for
   * every message posted (the window and the summary's look-back: ~70 rows), so without the
   * columns a context does not use (ids, jobs, tool data, times), whose conversion was a third of
   * the reading's cost.
   */
  async contextRows(
    ownerId: string,
    conversationId: string,
    limit: number,
    m?: EntityManager,
  ): Promise<ContextMessage[]> {
    const sql = new Sql(m ?? this.ds.manager);
    const rows = await sql.rows(
      `SELECT "authorKind", "authorId", "authorName", "role", "content", "deletedAt" FROM ${sql.table(MessageEntity)}
       WHERE "ownerId" = ${sql.p(1)} AND "conversationId" = ${sql.p(2)}
       ORDER BY "createdAt" DESC, "id" DESC LIMIT ${sql.p(3)}`,
      [ownerId, conversationId, limit],
    );
    return rows.map((r) => ({
      authorKind: r['authorKind'] as ContextMessage['authorKind'],
      authorId: r['authorId'] as string,
      authorName: (r['authorName'] as string | null) ?? null,
      role: r['role'] as ContextMessage['role'],
      content: r['content'] as string,
      deletedAt: epochMs.from(r['deletedAt']) as Date | null,
    }));
  }
}
