import type { Socket } from 'node:net';
import type { EntityManager } from 'typeorm';

/**
 * Counts what a transaction's Postgres connection writes to its socket from now on (system
 * calls, each a wake-up of the server's backend) until `restore`.
 */
export function countSocketWrites(m: EntityManager): { writes(): number; restore(): void } {
  const client = (m.queryRunner as unknown as { databaseConnection: { connection: { stream: Socket } } })
    .databaseConnection;
  const stream = client.connection.stream as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
  const own = { _write: stream._write, _writev: stream._writev };
  let writes = 0;
  for (const name of ['_write', '_writev'] as const)
    stream[name] = function (this: unknown, ...args: unknown[]) {
      writes++;
      return own[name].apply(this, args);
    };
  return { writes: () => writes, restore: () => void Object.assign(stream, own) };
}
