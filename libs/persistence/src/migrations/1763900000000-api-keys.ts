import { MigrationInterface, QueryRunner, Table } from 'typeorm';

// API keys: only the SHA-256 of a key is stored, never the key.
export class ApiKeys1763900000000 implements MigrationInterface {
  name = 'ApiKeys1763900000000';

  async up(q: QueryRunner): Promise<void> {
    const no = q.connection.driver.options.type === 'postgres' ? 'false' : '0';
    await q.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'name', type: 'varchar', length: '100', isNullable: true },
          { name: 'prefix', type: 'varchar', length: '16' },
          { name: 'hash', type: 'varchar', length: '64' },
          { name: 'admin', type: 'boolean', default: no },
          { name: 'createdAt', type: 'bigint' },
          { name: 'revokedAt', type: 'bigint', isNullable: true },
        ],
        indices: [
          { name: 'idx_api_keys_hash', columnNames: ['hash'], isUnique: true },
          { name: 'idx_api_keys_owner', columnNames: ['ownerId', 'createdAt'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('api_keys');
  }
}
