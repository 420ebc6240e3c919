// An agent's actor: the one place its jobs run, one at a time. Commands from its mailbox
// subject queue here (still unacknowledged on JetStream) until the current job settles.
export type Handle<C> = (command: C) => Promise<void>;

interface Pending<C> {
  command: C;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class AgentActor<C> {
  private readonly inbox: Pending<C>[] = [];
  private running = false;
  private lastActivity = Date.now();

  constructor(
    readonly agentId: string,
    private readonly handle: Handle<C>,
  ) {}

  /** Resolves when this command has been handled (the mailbox then acks it). */
  deliver(command: C): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.inbox.push({ command, resolve, reject });
      void this.pump();
    });
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

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.inbox.shift(); next; next = this.inbox.shift()) {
        try {
          await this.handle(next.command);
          next.resolve();
        } catch (e) {
          next.reject(e);
        }
      }
    } finally {
      this.running = false;
      this.lastActivity = Date.now();
    }
  }
}
