import { Client } from 'pg';
import { StatementNames } from './statement-names';
import { isStalePlan } from './store-errors';

/** The part of pg's connection this reads: the socket its messages are written to. */
interface WithStream {
  connection?: { stream?: { cork?(): void; uncork?(): void } };
}

/** The statement texts of this process that recur: named on every connection (statement-names.ts). */
const names = new StatementNames();

// A pg client whose queries of one turn of the event loop go out in one write to the socket, and
// whose recurring parameterised statements are prepared once per connection (StatementNames).
//
// Writes: pg writes each query as it is sent (its messages corked together, then one system call);
// on a pipelined connection (data-source.ts) a transaction sends several queries without waiting,
// and group commit puts many units' statements in one transaction: each was its own write, and its
// own wake-up of the server's backend (a 4-step job run alone made 62 writes to Postgres, 60-120
// µs each on this machine's loopback; 42 now). The socket is corked at a turn's first query and
// uncorked at the turn's end (setImmediate), so BEGIN goes out with the statement after it and a
// save's last statements with its COMMIT, and under load the statements of many units go out
// together. The bytes and their order are pg's own; they leave at most one turn later.
//
// Prepared statements: a query given as (text, values) with values runs as pg's named query
// { name, text, values }: pg sends Parse only the first time on a connection (and again if that
// Parse failed). A prepared statement whose result columns changed since (a migration of a newer
// version, in a rolling upgrade, added a column to a table read with `*`) fails with "cached plan
// must not change result type": that one query fails, and this connection prepares its statements
// anew under other names from then on.
export class BatchedClient extends Client {
  private corked = false;
  /** Bumped when the server's plans of this connection's prepared statements went stale. */
  private generation = 0;

  constructor(config?: ConstructorParameters<typeof Client>[0]) {
    super(config);
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    this.query = ((...args: unknown[]) => {
      this.cork();
      const [text, values] = args;
      const name =
        args.length === 2 && typeof text === 'string' && Array.isArray(values) && values.length
          ? names.nameOf(text)
          : undefined;
      if (name === undefined) return query(...args);
      const sent = query({
        name: this.generation ? `${name}_${this.generation}` : name,
        text,
        values,
      }) as Promise<unknown>;
      sent.then(undefined, (e: unknown) => {
        if (isStalePlan(e)) this.generation++;
      });
      return sent;
    }) as Client['query'];
  }

  private cork(): void {
    const stream = (this as WithStream).connection?.stream;
    if (this.corked || !stream?.cork || !stream.uncork) return;
    this.corked = true;
    stream.cork();
    setImmediate(() => {
      this.corked = false;
      stream.uncork!();
    });
  }
}
