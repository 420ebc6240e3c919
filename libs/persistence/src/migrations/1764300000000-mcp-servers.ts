import { MigrationInterface, QueryRunner, Table } from 'typeorm';

// MCP servers, an owner's tool sources: one per (owner, name); header and environment values
// encrypted in `secretsEncrypted`.
export class McpServers1764300000000 implements MigrationInterface {
  name = 'McpServers1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'mcp_servers',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'name', type: 'varchar', length: '32' },
          { name: 'transport', type: 'varchar', length: '10' },
          { name: 'url', type: 'text', isNullable: true },
          { name: 'command', type: 'text', isNullable: true },
          { name: 'args', type: 'text' },
          { name: 'headerNames', type: 'text' },
          { name: 'envNames', type: 'text' },
          { name: 'secretsEncrypted', type: 'text' },
          { name: 'createdAt', type: 'bigint' },
          { name: 'updatedAt', type: 'bigint' },
        ],
        indices: [{ name: 'idx_mcp_servers_owner_name', columnNames: ['ownerId', 'name'], isUnique: true }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('mcp_servers');
  }
}
