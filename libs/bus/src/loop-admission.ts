export interface LoopAdmissionOptions {
  /** A new job waits while the event loop runs later than this (ms); 0 admits every job at once. */
  maxLagMs: number;
  /** Jobs admitted per look at the loop while it is on time. */
  perProbe?: number;
  /** How often the loop is looked at while jobs wait or were just admitted (ms). */
  probeMs?: number;
  /** Jobs let in whatever the loop's delay while fewer run (a machine short of CPU still makes progress). */
  minRunning?: number;
}

// Lets new jobs start only while this process's event loop is on time, so that a runtime never
// takes on more work than its one thread serves promptly: the jobs it cannot start yet wait in
// the mailbox (held and heart-beaten, in order), not as callbacks queued behind each other in the
// event loop, where every HTTP request, NATS message and stream chunk would wait behind them too.
// The loop is looked at with a timer: how late it fires is how long any ready callback waits. Only
// while jobs wait or were just let in does the timer run; an idle process has none. A few jobs
// always run whatever the delay (`minRunning`): on a machine short of CPU the timer is late
// because the process waits for a core, not for its own work, and the runtime must still progress.
export class LoopAdmission {
  private readonly waiting: Array<() => void> = [];
  private head = 0;
  private lagMs = 0;
  private admittedSinceProbe = 0;
  private timer?: NodeJS.Timeout;
  private running = 0;
  private readonly perProbe: number;
  private readonly probeMs: number;
  private readonly minRunning: number;

  constructor(private readonly opts: LoopAdmissionOptions) {
    this.perProbe = opts.perProbe ?? 4;
    this.probeMs = opts.probeMs ?? 5;
    this.minRunning = opts.minRunning ?? 4;
  }

  /** Jobs waiting to be let in. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  /** The event loop's delay at the last look (ms). */
  get lastLagMs(): number {
    return this.lagMs;
  }

  /**
   * Resolves when a new job may start: at once (undefined) while the loop is on time, else later,
   * in order. Each job let in is `settled` once it ends.
   */
  admit(): Promise<void> | undefined {
    if (this.opts.maxLagMs <= 0) return undefined;
    if (
      this.queued === 0 &&
      (this.running < this.minRunning || (this.lagMs <= this.opts.maxLagMs && this.admittedSinceProbe < this.perProbe))
    ) {
      this.running++;
      this.admittedSinceProbe++;
      this.probe();
      return undefined;
    }
    const p = new Promise<void>((resolve) => this.waiting.push(resolve));
    this.probe();
    return p;
  }

  /** A job let in has ended (or was handed back). */
  settled(): void {
    if (this.opts.maxLagMs <= 0) return;
    this.running--;
    if (this.running < this.minRunning && this.queued) this.letIn();
  }

  /** Lets every waiting job go at once (shutdown: their callers hand them back). */
  releaseAll(): void {
    while (this.queued) this.letIn();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private probe(): void {
    if (this.timer) return;
    const due = performance.now() + this.probeMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lagMs = Math.max(0, performance.now() - due);
      const busy = this.admittedSinceProbe > 0;
      this.admittedSinceProbe = 0;
      if (this.lagMs <= this.opts.maxLagMs) {
        for (let i = 0; i < this.perProbe && this.queued; i++) this.letIn();
      }
      // Looked at again while jobs wait, or a job just went in (its work is yet to show).
      if (this.queued || busy) this.probe();
    }, this.probeMs);
  }

  private letIn(): void {
    const resolve = this.waiting[this.head]!;
    this.waiting[this.head++] = undefined as never;
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    this.running++;
    this.admittedSinceProbe++;
    resolve();
  }
}
