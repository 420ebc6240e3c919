import { BeforeApplicationShutdown, Injectable, OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'nats';
import { BusService } from '@wiz/bus';
import type { JobEntity } from '@wiz/persistence';
import { HumanInputService } from './human-input.service';

/** The store is read for steering messages at least this often while a job runs (see SteerWatch). */
export const STEER_READ_MS = 1_000;

// Whether a person steered a running job, asked between its model steps. A read of the store at
// every step put a round trip between two model calls; instead the runtime hears every
// `job.steered` event (core NATS, at most once) and marks the jobs it runs, and reads the store
// only when the last read is older than STEER_READ_MS (so a lost message delays a steering by at
// most that, and a model slower than that per step reads at every step as before) or when it
// cannot hear the bus. What a step then takes is always read from the store (takeSteers).
@Injectable()
export class SteerWatch implements OnModuleInit, BeforeApplicationShutdown {
  /** The jobs running here → whether a steering message was heard since the run last asked. */
  private readonly running = new Map<string, boolean>();
  private sub?: Subscription;

  constructor(
    private readonly bus: BusService,
    private readonly human: HumanInputService,
  ) {}

  onModuleInit(): void {
    this.sub = this.bus.subscribeAgentEvents('job.steered', (_agentId, jobId, msg) => {
      // A run's own `consumed` events say it took them: nothing new.
      if (jobId && this.running.has(jobId) && !/"consumed":\s*true/.test(msg.string())) this.running.set(jobId, true);
    });
  }

  beforeApplicationShutdown(): void {
    this.sub?.unsubscribe();
  }

  /**
   * Follows `job` while it runs here (until the Steering's `end`). `readAt`: when the store was
   * last read for its steering messages (the read that started the run), 0 if never.
   */
  watch(job: JobEntity, readAt: number): Steering {
    this.running.set(job.id, false);
    return new Steering(job, this, readAt);
  }

  forget(jobId: string): void {
    this.running.delete(jobId);
  }

  /** Whether a steering message of `jobId` was heard since the last call (and forgets it). */
  heard(jobId: string): boolean {
    if (!this.running.get(jobId)) return false;
    this.running.set(jobId, false);
    return true;
  }

  /** Whether the bus's messages reach this runtime now. */
  get listening(): boolean {
    return this.sub !== undefined && !this.sub.isClosed() && !this.bus.nc.isClosed();
  }

  read(job: JobEntity): Promise<boolean> {
    return this.human.hasSteers(job);
  }
}

/** What a run's Steering asks of the watch. */
export type SteerSource = Pick<SteerWatch, 'heard' | 'listening' | 'read' | 'forget'>;

/** One run's view: whether a steering message waits for it now. */
export class Steering {
  constructor(
    private readonly job: JobEntity,
    private readonly watch: SteerSource,
    private readAt: number,
    private readonly now: () => number = Date.now,
  ) {}

  waiting(): Promise<boolean> {
    if (this.watch.heard(this.job.id)) return Promise.resolve(true);
    const now = this.now();
    if (this.watch.listening && now - this.readAt < STEER_READ_MS) return Promise.resolve(false);
    this.readAt = now;
    return this.watch.read(this.job);
  }

  end(): void {
    this.watch.forget(this.job.id);
  }
}
