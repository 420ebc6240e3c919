import { createHash } from 'node:crypto';

/** When a text is named, and how many are at most (each is prepared once on every connection that runs it). */
export interface StatementNamesOptions {
  /** Runs of a text before it is named: a text seen once (an IN list of some length) stays unnamed. */
  after: number;
  /** Texts named at most; the rest run unnamed. */
  max: number;
  /** Texts counted at most before the counts start over (texts that never recur). */
  counted: number;
}

// Names for the statement texts this process runs again and again, so that Postgres parses and
// plans each once per connection instead of at every run (a named statement of pg's extended
// protocol; measured on this machine: 73 µs of backend CPU per single-row UPDATE unnamed, 33
// named). The hot path's texts are stable (sql.ts); a text is named from its `after`-th run, so
// one-off texts (IN lists of varying length, admin queries) never are.
export class StatementNames {
  private readonly counts = new Map<string, number>();
  private readonly names = new Map<string, string>();

  constructor(private readonly o: StatementNamesOptions = { after: 2, max: 500, counted: 5_000 }) {}

  /** The name to run `text` under, or undefined to run it unnamed. */
  nameOf(text: string): string | undefined {
    const name = this.names.get(text);
    if (name !== undefined || this.names.size >= this.o.max) return name;
    const n = (this.counts.get(text) ?? 0) + 1;
    if (n < this.o.after) {
      if (this.counts.size >= this.o.counted) this.counts.clear();
      this.counts.set(text, n);
      return undefined;
    }
    this.counts.delete(text);
    const named = `wiz_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    this.names.set(text, named);
    return named;
  }
}
