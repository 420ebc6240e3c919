import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { DataSource } from 'typeorm';
import type { StoreOptions } from '@wiz/persistence';

// Every test run gets its own bus prefix and Postgres schema, so runs never see each other and
// can repeat on the same NATS and Postgres. `cleanup` removes what the run created.
export const TEST_PG_URL = process.env['WIZ_TEST_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_NATS_URL = process.env['WIZ_TEST_NATS_URL'] || 'nats://127.0.0.1:4222';
// Wiz refuses DATABASE_URL without WIZ_SECRET_KEY: every Postgres-backed test process sets this one.
export const TEST_SECRET_KEY = 'test-secret-key-with-at-least-32-chars';

export interface Isolation {
  prefix: string;
  schema: string;
}

export function isolation(label: string): Isolation {
  const id = `${label.replace(/[^a-z0-9]/g, '').slice(0, 8)}${randomBytes(4).toString('hex')}`;
  return { prefix: `t${id}`, schema: `t_${id}` };
}

/** Removes the run's streams and schema; `at` names other servers than the machine's (e.g. a test's private ones). */
export async function cleanup(iso: Isolation, at: { natsUrl?: string; pgUrl?: string } = {}): Promise<void> {
  const nc = await connect({ servers: (at.natsUrl ?? TEST_NATS_URL).split(',') });
  try {
    const jsm = await nc.jetstreamManager();
    for await (const s of jsm.streams.list()) {
      const name = s.config.name;
      if (name.startsWith(`${iso.prefix}_`) || name.startsWith(`KV_${iso.prefix}_`)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
  const ds = new DataSource({ type: 'postgres', url: at.pgUrl ?? TEST_PG_URL });
  await ds.initialize();
  try {
    await ds.query(`DROP SCHEMA IF EXISTS "${iso.schema}" CASCADE`);
  } finally {
    await ds.destroy();
  }
}

/**
 * Both stores for one test file, each its own: Postgres in a schema of the run's, SQLite in a
 * temporary folder. `remove` drops both.
 */
export function bothStores(label: string): {
  stores: Array<['postgres' | 'sqlite', StoreOptions]>;
  remove(): Promise<void>;
} {
  const iso = isolation(label);
  const dir = mkdtempSync(join(tmpdir(), `wiz-${label}-`));
  return {
    stores: [
      ['postgres', { databaseUrl: TEST_PG_URL, schema: iso.schema, dataDir: dir }],
      ['sqlite', { databaseUrl: '', schema: 'public', dataDir: dir }],
    ],
    remove: async () => {
      await cleanup(iso);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
