export interface LoopAdmissionOptions {
  /** A new job waits while the event loop runs later than this (ms); 0 admits every job at once. */
  maxLagMs: number;
  /** Jobs admitted per look at the loop after it was found late; doubled at each look that finds it well on time. */
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
  /** Jobs let in per look now: `perProbe` after a late look, doubled by each look well on time. */
  private allowance: number;
  private readonly perProbe: number;
  private readonly probeMs: number;
  private readonly minRunning: number;

  constructor(private readonly opts: LoopAdmissionOptions) {
    this.perProbe = opts.perProbe ?? 4;
    this.probeMs = opts.probeMs ?? 5;
    this.minRunning = opts.minRunning ?? 4;
    this.allowance = this.perProbe;
  }

  /** Jobs waiting to be let in. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  /** Jobs that may go in before the next look while the loop is on time. */
  get allowancePerLook(): number {
    return this.allowance;
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
      (this.running < this.minRunning || (this.lagMs <= this.opts.maxLagMs && this.admittedSinceProbe < this.allowance))
    ) {
      this.entered();
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
      // Well on time: twice as many may go in before the next look (a fixed number per look
      // would cap a fast machine's rate); late: back to the few.
      if (this.lagMs > this.opts.maxLagMs) this.allowance = this.perProbe;
      else if (this.lagMs <= this.opts.maxLagMs / 2) this.allowance = Math.min(this.allowance * 2, MAX_ALLOWANCE);
      if (this.lagMs <= this.opts.maxLagMs) {
        for (let i = 0; i < this.allowance && this.queued; i++) this.letIn();
      }
      // Looked at again while jobs wait, or a job just went in (its work is yet to show).
      if (this.queued || busy) this.probe();
      // Idle: the next burst starts with the few again (as a TCP connection's slow start).
      else this.allowance = this.perProbe;
    }, this.probeMs);
  }

  private letIn(): void {
    const resolve = this.waiting[this.head]!;
    this.waiting[this.head++] = undefined as never;
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    this.entered();
    resolve();
  }

  private entered(): void {
    this.running++;
    this.admittedSinceProbe++;
  }
}

const MAX_ALLOWANCE = 1_024;
