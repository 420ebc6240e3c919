import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

// Agent actors: providers with encrypted keys, per-job ActivityContext, per-agent
// long-term state, and the agent's loop settings and versioned behavior rules.
export class AgentActors1763800000000 implements MigrationInterface {
  name = 'AgentActors1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('agents', [
      new TableColumn({ name: 'loop', type: 'text', default: "'{}'" }),
      new TableColumn({ name: 'behaviorRules', type: 'text', default: "'[]'" }),
      new TableColumn({ name: 'behaviorVersion', type: 'integer', default: 0 }),
    ]);
    await q.createTable(
      new Table({
        name: 'providers',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'baseUrl', type: 'text' },
          { name: 'apiKeyEncrypted', type: 'text' },
          { name: 'defaultModel', type: 'varchar', length: '200', isNullable: true },
          { name: 'createdAt', type: 'bigint' },
          { name: 'updatedAt', type: 'bigint' },
        ],
        indices: [{ name: 'idx_providers_owner', columnNames: ['ownerId', 'createdAt'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'activity_contexts',
        columns: [
          { name: 'jobId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'agentId', type: 'varchar', length: '36' },
          { name: 'state', type: 'text' },
          { name: 'createdAt', type: 'bigint' },
          { name: 'updatedAt', type: 'bigint' },
        ],
        indices: [{ name: 'idx_activity_contexts_agent', columnNames: ['agentId'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'agent_states',
        columns: [
          { name: 'agentId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'goals', type: 'text' },
          { name: 'learnings', type: 'text' },
          { name: 'activities', type: 'text' },
          { name: 'knowledge', type: 'text' },
          { name: 'updatedAt', type: 'bigint' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('agent_states');
    await q.dropTable('activity_contexts');
    await q.dropTable('providers');
    for (const c of ['behaviorVersion', 'behaviorRules', 'loop']) await q.dropColumn('agents', c);
  }
}
