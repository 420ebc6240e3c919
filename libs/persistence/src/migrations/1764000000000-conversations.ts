import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

// Conversations: projects, conversations (DMs and channels), participants, messages;
// the agents' double-texting policy and the job → conversation link.
export class Conversations1764000000000 implements MigrationInterface {
  name = 'Conversations1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn(
      'agents',
      new TableColumn({ name: 'doubleTexting', type: 'varchar', length: '16', default: "'queue'" }),
    );
    await q.addColumn(
      'jobs',
      new TableColumn({ name: 'conversationId', type: 'varchar', length: '36', isNullable: true }),
    );
    await q.createIndex(
      'jobs',
      new TableIndex({ name: 'idx_jobs_conversation', columnNames: ['conversationId', 'agentId'] }),
    );
    await q.createTable(
      new Table({
        name: 'projects',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'description', type: 'text', isNullable: true },
          { name: 'createdAt', type: 'bigint' },
          { name: 'updatedAt', type: 'bigint' },
        ],
        indices: [{ name: 'idx_projects_owner', columnNames: ['ownerId', 'createdAt'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'conversations',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'projectId', type: 'varchar', length: '36', isNullable: true },
          { name: 'name', type: 'varchar', length: '200', isNullable: true },
          { name: 'createdAt', type: 'bigint' },
          { name: 'updatedAt', type: 'bigint' },
        ],
        indices: [
          { name: 'idx_conversations_owner', columnNames: ['ownerId', 'createdAt'] },
          { name: 'idx_conversations_project', columnNames: ['projectId'] },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'conversation_participants',
        columns: [
          { name: 'conversationId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'kind', type: 'varchar', length: '16', isPrimary: true },
          { name: 'participantId', type: 'varchar', length: '100', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'name', type: 'varchar', length: '200', isNullable: true },
          { name: 'joinedAt', type: 'bigint' },
        ],
        indices: [{ name: 'idx_participants_member', columnNames: ['ownerId', 'kind', 'participantId'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'messages',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'conversationId', type: 'varchar', length: '36' },
          { name: 'authorKind', type: 'varchar', length: '16' },
          { name: 'authorId', type: 'varchar', length: '100' },
          { name: 'authorName', type: 'varchar', length: '200', isNullable: true },
          { name: 'content', type: 'text' },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'toolData', type: 'text', isNullable: true },
          { name: 'jobIds', type: 'text', default: "'[]'" },
          { name: 'createdAt', type: 'bigint' },
          { name: 'updatedAt', type: 'bigint' },
          { name: 'deletedAt', type: 'bigint', isNullable: true },
        ],
        indices: [{ name: 'idx_messages_conversation', columnNames: ['conversationId', 'createdAt', 'id'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('messages');
    await q.dropTable('conversation_participants');
    await q.dropTable('conversations');
    await q.dropTable('projects');
    await q.dropIndex('jobs', 'idx_jobs_conversation');
    await q.dropColumn('jobs', 'conversationId');
    await q.dropColumn('agents', 'doubleTexting');
  }
}
