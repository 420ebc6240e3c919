import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';

// Append-only job contexts: the growing lists of an ActivityContext (messages, tool calls…) move
// to one row per element, appended by each step, so a step's write no longer grows with the
// job's history. Rows written before keep their whole state (generation 0, no entries) and are
// rewritten in the new form at their next save.
export class ContextEntries1764540000000 implements MigrationInterface {
  name = 'ContextEntries1764540000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('activity_contexts', [
      new TableColumn({ name: 'generation', type: 'integer', default: 0 }),
      new TableColumn({ name: 'entries', type: 'integer', default: 0 }),
    ]);
    await q.createTable(
      new Table({
        name: 'activity_context_entries',
        columns: [
          { name: 'jobId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'generation', type: 'integer', isPrimary: true },
          { name: 'seq', type: 'integer', isPrimary: true },
          { name: 'kind', type: 'varchar', length: '20' },
          { name: 'body', type: 'text' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('activity_context_entries');
    await q.dropColumn('activity_contexts', 'entries');
    await q.dropColumn('activity_contexts', 'generation');
  }
}
