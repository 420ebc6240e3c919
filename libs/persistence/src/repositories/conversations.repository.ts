import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, Not } from 'typeorm';
import { TERMINAL_JOB_STATUSES } from '@wiz/contracts';
import { ConversationEntity, ConversationParticipantEntity, JobEntity, ProjectEntity } from '../entities';
import type { Page } from '@wiz/contracts';
import { Sql } from '../sql';

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
    const [row] = await new Sql(this.m(m)).find(ConversationEntity, { ownerId, id });
    return row ?? null;
  }

  list(ownerId: string, q: Page & { projectId?: string }): Promise<[ConversationEntity[], number]> {
    return this.ds.getRepository(ConversationEntity).findAndCount({
      where: { ownerId, ...(q.projectId ? { projectId: q.projectId } : {}) },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: q.limit,
      skip: q.offset,
    });
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
