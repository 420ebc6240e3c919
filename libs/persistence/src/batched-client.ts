import { Client } from 'pg';

/** The part of pg's connection this reads: the socket its messages are written to. */
interface WithStream {
  connection?: { stream?: { cork?(): void; uncork?(): void } };
}

// A pg client whose queries of one turn of the event loop go out in one write to the socket.
// pg writes each query as it is sent (its messages corked together, then one system call); on a
// pipelined connection (data-source.ts) a transaction sends several queries without waiting, and
// group commit puts many units' statements in one transaction: each was its own write, and its
// own wake-up of the server's backend (a 4-step job run alone made 62 writes to Postgres, 60-120
// µs each on this machine's loopback; 42 now). The socket is corked at a turn's first query and
// uncorked at the turn's end (setImmediate), so BEGIN goes out with the statement after it and a
// save's last statements with its COMMIT, and under load the statements of many units go out
// together. The bytes and their order are pg's own; they leave at most one turn later.
export class BatchedClient extends Client {
  private corked = false;

  constructor(config?: ConstructorParameters<typeof Client>[0]) {
    super(config);
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    this.query = ((...args: unknown[]) => {
      this.cork();
      return query(...args);
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
