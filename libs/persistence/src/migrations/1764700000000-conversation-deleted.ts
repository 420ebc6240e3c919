import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

// A deleted conversation keeps its row, marked (its participants and messages go): an event's
// owner is looked up by its conversation, in the deleting transaction too, and an owner never
// changes. Every read for clients skips the marked ones.
export class ConversationDeleted1764700000000 implements MigrationInterface {
  name = 'ConversationDeleted1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('conversations', new TableColumn({ name: 'deletedAt', type: 'bigint', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('conversations', 'deletedAt');
  }
}
