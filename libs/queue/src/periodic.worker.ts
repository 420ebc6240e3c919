// The one background worker of Wiz (outbox sweep, stalled and delayed jobs, retention, schedule
// firing, context retention, actor leases and eviction): a pass run every `everyMs`, never two at
// once (a pass asked for while one runs joins it), errors reported rather than thrown, the timer
// kept from holding the process up, and `stop()` waits for the pass under way.
export class PeriodicWorker<T> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<T | undefined>;

  constructor(
    private readonly everyMs: number,
    private readonly pass: () => Promise<T>,
    private readonly onError: (e: unknown) => void,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.run(), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass now (`pass` overrides the default one, e.g. with a given clock). */
  run(pass: () => Promise<T> = this.pass): Promise<T | undefined> {
    this.running ??= pass()
      .catch((e: unknown) => {
        this.onError(e);
        return undefined;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
