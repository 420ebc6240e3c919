import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { MailboxCommand } from '@wiz/contracts';
import { AgentActor } from './agent-actor';
import { JobRunner } from './job-runner.service';

const EVICT_IDLE_MS = 10 * 60_000;

// Holds the live actors of this runtime: created on an agent's first mailbox message (so a new
// agent needs no restart), dropped after a while without work. An actor is a few hundred
// bytes, so one process holds tens of thousands.
@Injectable()
export class ActorRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly actors = new Map<string, AgentActor<{ command: MailboxCommand; deliveryCount: number }>>();
  private evictor?: NodeJS.Timeout;

  constructor(private readonly runner: JobRunner) {}

  onModuleInit(): void {
    this.evictor = setInterval(() => this.evictIdle(), 60_000);
    this.evictor.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.evictor);
  }

  deliver(command: MailboxCommand, deliveryCount: number): Promise<void> {
    let actor = this.actors.get(command.agentId);
    if (!actor) {
      actor = new AgentActor(command.agentId, (c) => this.runner.run(c.command, c.deliveryCount));
      this.actors.set(command.agentId, actor);
    }
    return actor.deliver({ command, deliveryCount });
  }

  get size(): number {
    return this.actors.size;
  }

  evictIdle(now = Date.now()): void {
    for (const [id, actor] of this.actors) if (actor.idleFor(now) > EVICT_IDLE_MS) this.actors.delete(id);
  }
}
