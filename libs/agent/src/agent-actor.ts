// An agent's actor: the one place its jobs run, one at a time. Commands from its mailbox
// subject queue here (still unacknowledged on JetStream) in priority order until they run.
export type Outcome = 'done' | { hold: 'paused' | 'busy'; holder?: string | null };
export type Handle<C> = (command: C) => Promise<Outcome>;

export interface ActorCommand {
  jobId: string;
  priority: number;
}

interface Pending<C> {
  command: C;
  seq: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

const HOLD_RECHECK_MS = 1_000;

export class AgentActor<C extends ActorCommand> {
  private readonly inbox: Pending<C>[] = [];
  private running = false;
  private seq = 0;
  private lastActivity = Date.now();
  private holder: string | null = null;
  private wakeUp?: () => void;

  constructor(
    readonly agentId: string,
    private readonly handle: Handle<C>,
    private readonly recheckMs = HOLD_RECHECK_MS,
  ) {}

  /** Resolves when this command has been handled (the mailbox then acks it). */
  deliver(command: C): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      // A redelivery of a command already queued here replaces nothing: the first copy runs.
      this.inbox.push({ command, seq: this.seq++, resolve, reject });
      this.wake();
      void this.pump();
    });
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

  // The job holding the agent first (it was interrupted elsewhere), else the highest priority,
  // first come first served among equals.
  private next(): Pending<C> | undefined {
    const held = this.holder ? this.inbox.findIndex((p) => p.command.jobId === this.holder) : -1;
    let best = held;
    if (best < 0) {
      for (let i = 0; i < this.inbox.length; i++) {
        const p = this.inbox[i]!;
        const b = best < 0 ? undefined : this.inbox[best]!;
        if (!b || p.command.priority > b.command.priority || (p.command.priority === b.command.priority && p.seq < b.seq)) best = i;
      }
    }
    return best < 0 ? undefined : this.inbox.splice(best, 1)[0];
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let p = this.next(); p; p = this.next()) {
        let outcome: Outcome;
        try {
          outcome = await this.handle(p.command);
        } catch (e) {
          p.reject(e);
          continue;
        }
        if (outcome === 'done') {
          this.holder = null;
          p.resolve();
          continue;
        }
        // Held: back in the inbox; wait for a wake-up (or re-check after a while).
        this.inbox.push(p);
        this.holder = outcome.holder ?? null;
        if (!this.holder || !this.inbox.some((q) => q.command.jobId === this.holder)) await this.pause();
      }
    } finally {
      this.running = false;
      this.lastActivity = Date.now();
    }
  }

  private pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(done, this.recheckMs);
      const self = this;
      function done() {
        clearTimeout(t);
        self.wakeUp = undefined;
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
