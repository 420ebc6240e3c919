// An agent's actor: the one place its jobs run, one at a time. Commands from its mailbox
// subject wait here (still unacknowledged on JetStream) in priority order until they run.
//
// The inbox is bounded (`prefetch` waiting commands): each one holds a slot of its partition's
// in-flight window, which all the agents of the partition share. Past the bound the
// lowest-priority command is acknowledged and dropped: its job stays `queued` in the store,
// and the actor fetches the agent's next queued jobs from the store when its inbox empties.
// So an agent with a backlog of thousands, or a paused one, never stalls the others.
export type Outcome = 'done' | { hold: 'paused' | 'busy'; holder?: string | null };
export type Handle<C> = (command: C) => Promise<Outcome>;

export interface ActorCommand {
  jobId: string;
  priority: number;
  /** The store may hold more queued jobs of this agent than commands in flight. */
  backlog?: boolean;
}

export interface ActorOptions<C> {
  /** Commands waiting at most (the running one aside). */
  prefetch: number;
  /** The agent's next queued jobs from the store, best first, at most `limit`. */
  fetch(limit: number): Promise<C[]>;
  /** How long a held command waits for a wake-up before it is tried again. */
  recheckMs?: number;
}

/** How a delivered command left the actor: run (or dropped to the store), or handed back at shutdown. */
export type Settled = 'handled' | 'handed-back';

interface Pending<C> {
  command: C;
  seq: number;
  /** Fetched from the store: no mailbox message waits for it. */
  fetched: boolean;
  resolve: (how?: Settled) => void;
  reject: (e: unknown) => void;
}

/** How long an actor holds a command it cannot run yet (agent paused or busy) before trying it again. */
export const HOLD_RECHECK_MS = 1_000;
const noop = () => {};

export class AgentActor<C extends ActorCommand> {
  private readonly inbox: Pending<C>[] = [];
  private running = false;
  private seq = 0;
  private lastActivity = Date.now();
  private holder: string | null = null;
  private wakeUp?: () => void;
  /** Commands were dropped (or resent): fetch from the store when the inbox is empty. */
  private behind = false;
  private stopped = false;

  constructor(
    readonly agentId: string,
    private readonly handle: Handle<C>,
    private readonly opts: ActorOptions<C>,
  ) {}

  /** Resolves when this command has been handled or dropped (the mailbox then acks it), or handed back. */
  deliver(command: C): Promise<Settled> {
    return new Promise<Settled>((resolve, reject) => {
      // Arrived after the shutdown began: straight back for another runtime.
      if (this.stopped) return resolve('handed-back');
      if (command.backlog) this.behind = true;
      const same = this.inbox.findIndex((p) => p.command.jobId === command.jobId);
      if (same >= 0) {
        // Already waiting here: keep one copy, preferably the one a mailbox message backs.
        if (!this.inbox[same]!.fetched) return resolve('handled');
        this.inbox.splice(same, 1);
      }
      this.inbox.push({
        command,
        seq: this.seq++,
        fetched: false,
        resolve: (how) => resolve(how ?? 'handled'),
        reject,
      });
      if (this.inbox.length > this.opts.prefetch) this.dropWorst();
      this.wake();
      void this.pump();
    });
  }

  /**
   * Shutdown: runs nothing more. Waiting commands settle `handed-back` (their mailbox messages
   * go back to JetStream at once); the running one, if any, finishes. Returns whether the store
   * holds queued jobs this actor would have fetched (someone must resend a command).
   */
  stop(): boolean {
    this.stopped = true;
    let backlog = this.behind;
    for (const p of this.inbox.splice(0)) {
      if (p.fetched) backlog = true;
      else p.resolve('handed-back');
    }
    this.wake();
    return backlog;
  }

  /** Re-check a held command now (the agent was resumed, or its running job ended). */
  wake(): void {
    this.wakeUp?.();
  }

  get busy(): boolean {
    return this.running || this.inbox.length > 0;
  }

  get queued(): number {
    return this.inbox.length;
  }

  idleFor(now = Date.now()): number {
    return this.busy ? 0 : now - this.lastActivity;
  }

  private better(a: Pending<C>, b: Pending<C>): boolean {
    return a.command.priority > b.command.priority || (a.command.priority === b.command.priority && a.seq < b.seq);
  }

  private dropWorst(): void {
    let worst = -1;
    this.inbox.forEach((p, i) => {
      if (p.command.jobId !== this.holder && (worst < 0 || this.better(this.inbox[worst]!, p))) worst = i;
    });
    if (worst < 0) return;
    this.inbox.splice(worst, 1)[0]!.resolve();
    this.behind = true;
  }

  // The job holding the agent first (it was interrupted elsewhere), else the best.
  private next(): Pending<C> | undefined {
    let best = this.holder ? this.inbox.findIndex((p) => p.command.jobId === this.holder) : -1;
    if (best < 0) this.inbox.forEach((p, i) => (best < 0 || this.better(p, this.inbox[best]!)) && (best = i));
    return best < 0 ? undefined : this.inbox.splice(best, 1)[0];
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.stopped) {
        // (Re-checked after the fetch: a command may have arrived while it ran.)
        const p = this.next() ?? (await this.refill()) ?? this.next();
        if (!p) break;
        let outcome: Outcome;
        try {
          outcome = await this.handle(p.command);
        } catch (e) {
          p.reject(e);
          if (p.fetched) this.behind = true; // no mailbox message will bring it back
          continue;
        }
        if (outcome === 'done') {
          this.holder = null;
          p.resolve();
          continue;
        }
        // Held: back in the inbox; wait for a wake-up (or re-check after a while).
        if (this.stopped) {
          p.resolve('handed-back');
          break;
        }
        this.inbox.push(p);
        this.holder = outcome.holder ?? null;
        if (!this.holder || !this.inbox.some((q) => q.command.jobId === this.holder)) await this.pause();
      }
    } finally {
      this.running = false;
      this.lastActivity = Date.now();
    }
  }

  /** The inbox is empty: if commands were dropped, take the next queued jobs from the store. */
  private async refill(): Promise<Pending<C> | undefined> {
    if (!this.behind || this.stopped) return undefined;
    const limit = Math.max(1, this.opts.prefetch);
    let fetched: C[];
    try {
      fetched = await this.opts.fetch(limit);
    } catch {
      return undefined; // the store is away: the stalled-jobs sweep resends the commands later
    }
    this.behind = fetched.length >= limit;
    for (const command of fetched) {
      if (!this.inbox.some((p) => p.command.jobId === command.jobId)) {
        this.inbox.push({ command, seq: this.seq++, fetched: true, resolve: noop, reject: noop });
      }
    }
    return this.next();
  }

  private pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wakeUp = undefined;
        resolve();
      };
      const t = setTimeout(done, this.opts.recheckMs ?? HOLD_RECHECK_MS);
      this.wakeUp = done;
    });
  }
}
