import { MigrationInterface, QueryRunner, Table } from 'typeorm';

// Outgoing webhooks (secret sealed with the SecretBox) and their deliveries (one per webhook and
// event, with every attempt). Same DDL on Postgres and SQLite.
export class Webhooks1764400000000 implements MigrationInterface {
  name = 'Webhooks1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'webhooks',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'url', type: 'text' },
          { name: 'events', type: 'text' },
          { name: 'secretEncrypted', type: 'text' },
          { name: 'createdAt', type: 'bigint' },
        ],
        indices: [{ name: 'idx_webhooks_owner', columnNames: ['ownerId', 'createdAt'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'webhook_deliveries',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'webhookId', type: 'varchar', length: '36' },
          { name: 'ownerId', type: 'varchar', length: '100' },
          { name: 'eventId', type: 'varchar', length: '64' },
          { name: 'eventType', type: 'varchar', length: '100' },
          { name: 'body', type: 'text' },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attemptCount', type: 'integer', default: 0 },
          { name: 'attempts', type: 'text' },
          { name: 'nextAttemptAt', type: 'bigint', isNullable: true },
          { name: 'createdAt', type: 'bigint' },
          { name: 'deliveredAt', type: 'bigint', isNullable: true },
        ],
        indices: [
          { name: 'uq_webhook_deliveries_event', columnNames: ['webhookId', 'eventId'], isUnique: true },
          { name: 'idx_webhook_deliveries_due', columnNames: ['status', 'nextAttemptAt'] },
          { name: 'idx_webhook_deliveries_webhook', columnNames: ['webhookId', 'createdAt'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('webhook_deliveries');
    await q.dropTable('webhooks');
  }
}
