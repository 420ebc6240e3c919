import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

// Tools and delegation: an agent's tool allow-list and its allowed delegates
// (JSON arrays; NULL means the defaults: the default tool set, any agent of the owner), and the
// agents' memory items (memory_save / memory_query), with their embeddings as JSON arrays.
export class Tools1764100000000 implements MigrationInterface {
  name = 'Tools1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('agents', [
      new TableColumn({ name: 'tools', type: 'text', isNullable: true }),
      new TableColumn({ name: 'delegates', type: 'text', isNullable: true }),
    ]);
    await q.createTable(
      new Table({
        name: 'memory_items',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'agentId', type: 'varchar', length: '36' },
          { name: 'text', type: 'text' },
          { name: 'metadata', type: 'text' },
          { name: 'embedding', type: 'text', isNullable: true },
          { name: 'jobId', type: 'varchar', length: '36', isNullable: true },
          { name: 'createdAt', type: 'bigint' },
        ],
        indices: [{ name: 'idx_memory_items_agent', columnNames: ['ownerId', 'agentId', 'createdAt'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('memory_items');
    for (const c of ['delegates', 'tools']) await q.dropColumn('agents', c);
  }
}
