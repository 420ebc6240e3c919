import { DataSource, QueryFailedError } from 'typeorm';
import { isStalePlan, isStoreUnavailable } from './store-errors';

/** The part of pg's pool this uses (TypeORM's Postgres driver keeps it as `master`). */
interface PgPool {
  connect(): Promise<PgPooled>;
}

/** A client checked out of pg's pool. */
interface PgPooled {
  query(text: string, values: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
  on(event: 'error', listener: (e: Error) => void): unknown;
  off(event: 'error', listener: (e: Error) => void): unknown;
  release(destroy?: Error | boolean): void;
}

const SELECT = /^\s*SELECT\b/i;
const LOCKING = /\bFOR\s+(UPDATE|NO\s+KEY\s+UPDATE|SHARE|KEY\s+SHARE)\b/i;

/** A statement that may share the connection: a plain read (it never waits for a row lock). */
export const isSharedRead = (sql: string): boolean => SELECT.test(sql) && !LOCKING.test(sql);

const byStore = new WeakMap<DataSource, SharedReads>();

/** The shared connection of a Postgres store's reads outside transactions. */
export function sharedReads(ds: DataSource): SharedReads {
  let reads = byStore.get(ds);
  if (!reads) {
    reads = new SharedReads((ds.driver as unknown as { master: PgPool }).master);
    byStore.set(ds, reads);
  }
  return reads;
}

// Postgres: the reads of a process outside a transaction (Sql: a job, an agent, a conversation by
// key, the sweeps' bounded reads) go over one connection of the pool, pipelined (data-source.ts),
// instead of a connection checked out per statement: the reads of a turn of the event loop leave
// in one write to the socket (BatchedClient), and a read never waits for a free connection while
// the pool is busy with transactions. The server runs them one after the other, so only reads
// share it: a SELECT takes no row lock and waits for none, and a write outside a transaction could
// wait for one held by a transaction of this process that itself waits for a read behind it.
// The connection goes back to the pool once no read is under way (so that the pool can end), and
// is given up on an error of its own (a lost connection): the next read checks out another.
export class SharedReads {
  private current?: Checkout;
  private inFlight = 0;

  constructor(private readonly pool: PgPool) {}

  async query(sql: string, params: unknown[]): Promise<{ records: unknown[]; affected?: number }> {
    this.inFlight++;
    try {
      const checkout = (this.current ??= this.checkout());
      const client = await checkout.client;
      const raw = await client.query(sql, params).catch((e: Error) => {
        if (connectionLost(e)) this.end(checkout, e);
        // As TypeORM's query runner reports a failed statement.
        throw new QueryFailedError(sql, params, e);
      });
      return { records: raw.rows, affected: raw.rowCount ?? undefined };
    } finally {
      if (--this.inFlight === 0) setImmediate(() => this.releaseIfIdle());
    }
  }

  private checkout(): Checkout {
    const checkout: Checkout = {
      client: this.pool.connect(),
      done: false,
      lost: (e) => this.end(checkout, e),
    };
    checkout.client.then(
      (client) => client.on('error', checkout.lost),
      () => this.end(checkout, true),
    );
    return checkout;
  }

  private releaseIfIdle(): void {
    if (!this.inFlight && this.current) this.end(this.current);
  }

  /** No read takes `checkout` again; back to the pool, or destroyed by it (`destroy`: the connection is gone). */
  private end(checkout: Checkout, destroy?: Error | boolean): void {
    if (this.current === checkout) this.current = undefined;
    if (checkout.done) return;
    checkout.done = true;
    void checkout.client.then(
      (client) => {
        client.off('error', checkout.lost);
        client.release(destroy);
      },
      () => undefined,
    );
  }
}

interface Checkout {
  client: Promise<PgPooled>;
  /** Back in the pool, or given up. */
  done: boolean;
  lost(e: Error): void;
}

/** An error after which the connection cannot be used (a stale plan only renames its statements). */
const connectionLost = (e: Error): boolean => isStoreUnavailable(e) && !isStalePlan(e);
