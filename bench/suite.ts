// What a benchmark suite hands back: figures for latest.json, context for the table only.
export interface SuiteResult {
  figures: Record<string, number>;
  context: Record<string, string | number>;
}

export interface BenchOptions {
  /** The queue suite's store: Postgres (deployments) or the embedded SQLite default. */
  store?: 'postgres' | 'sqlite';
  /** Measured jobs (or messages), after the warm-up. */
  jobs: number;
  warmup: number;
  agents: number;
  /** Submissions (or publishes) awaiting their answer at any moment. */
  inflight: number;
  /** Time limit of each phase, from its first submission to its last completion. */
  timeoutMs: number;
  /** Where to write a CPU profile of the queue suite's measured phase, if anywhere. */
  profile?: string;
}

/** Submit-to-done latencies and the span of one phase, in ms; this process's CPU time in µs. */
export interface PhaseTiming {
  latencies: number[];
  elapsedMs: number;
  cpuUs: number;
}
