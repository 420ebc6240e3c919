import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

// Tools and delegation (issue 5): an agent's tool allow-list and its allowed delegates
// (JSON arrays; NULL means the defaults: the default tool set, any agent of the owner).
export class Tools1764100000000 implements MigrationInterface {
  name = 'Tools1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('agents', [
      new TableColumn({ name: 'tools', type: 'text', isNullable: true }),
      new TableColumn({ name: 'delegates', type: 'text', isNullable: true }),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const c of ['delegates', 'tools']) await q.dropColumn('agents', c);
  }
}
