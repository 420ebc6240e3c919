/** The reason a Deadline aborts with. */
export class DeadlineExceeded extends Error {
  constructor(readonly ms: number) {
    super(`the model did not finish within ${ms} ms (WIZ_LLM_TIMEOUT_MS)`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * An abort signal that fires when `parent` does or after `ms`, whichever comes first; `clear()`
 * when the call is over. Not `AbortSignal.any([…, AbortSignal.timeout(ms)])`: on Node 20 the
 * timeout signal is only weakly held there, and a GC during the call loses it (the call then
 * never times out). Here the timer holds the controller until it fires or is cleared.
 */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly onParentAbort = () => this.controller.abort(this.parent?.reason);

  constructor(
    readonly ms: number,
    private readonly parent?: AbortSignal,
  ) {
    this.timer = setTimeout(() => this.controller.abort(new DeadlineExceeded(ms)), ms);
    if (parent?.aborted) this.onParentAbort();
    else parent?.addEventListener('abort', this.onParentAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether it fired because the time ran out (not because the parent aborted). */
  get expired(): boolean {
    return this.controller.signal.reason instanceof DeadlineExceeded;
  }

  clear(): void {
    clearTimeout(this.timer);
    this.parent?.removeEventListener('abort', this.onParentAbort);
  }
}

/**
 * `source`'s items until `signal` aborts, then its reason is thrown at once: a model stream
 * whose transport does not notice the abort (a body that keeps trickling) cannot hold the loop.
 */
export async function* untilAborted<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    for (;;) {
      const next = await Promise.race([it.next(), aborted]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    void Promise.resolve(it.return?.()).catch(() => undefined);
  }
}

/** `p`, or `signal`'s reason as soon as it aborts. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return untilAborted(
    (async function* () {
      yield await p;
    })(),
    signal,
  )
    .next()
    .then((r) => r.value as T);
}
