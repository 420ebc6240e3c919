import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { EventType, PayloadOf } from '@wiz/contracts';
import { BusService, LiveInterest } from '@wiz/bus';
import { JobEntity } from '@wiz/persistence';
import { jobIds, makeEvent } from '@wiz/queue';

// Token deltas of a job: core NATS, fire and forget (high-rate and never replayed, so not on JetStream: docs/websocket.md).
// The gateway relays them to WS subscribers of the job's and the agent's topics; a model call
// streams them only while someone follows the job (LiveInterest, WIZ_LIVE_TOKENS).
@Injectable()
export class LiveEvents implements OnApplicationBootstrap {
  constructor(
    private readonly bus: BusService,
    private readonly interest: LiveInterest,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.interest.start();
  }

  /** Whether a model call of `job` should stream (someone would see its tokens). */
  streams(job: JobEntity): boolean {
    return this.interest.streams(jobIds(job));
  }

  publish<T extends EventType>(job: JobEntity, type: T, data: PayloadOf<T>): void {
    const e = makeEvent(type, jobIds(job), data);
    this.bus.nc.publish(this.bus.names.liveSubject(e), JSON.stringify(e));
  }
}

// The model's text deltas of one step, sent as `agent.token` events at most every `windowMs`:
// each event carries the deltas since the previous one, so a fast model costs a few events per
// second per job instead of one per token. A delta after a quiet window goes out at once (a
// model slower than the window is relayed without delay). Concatenated, they are the step's text.
export class TokenBatcher {
  private text = '';
  private index = 0;
  private timer?: NodeJS.Timeout;
  private lastSent = 0;

  constructor(
    private readonly live: LiveEvents,
    private readonly job: JobEntity,
    private readonly at: () => { iteration: number; step: number },
    private readonly windowMs: number,
  ) {}

  push(delta: string): void {
    this.text += delta;
    if (this.timer) return;
    const wait = this.lastSent + this.windowMs - Date.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.text) return;
    this.live.publish(this.job, 'agent.token', { ...this.at(), index: this.index++, delta: this.text });
    this.text = '';
    this.lastSent = Date.now();
  }

  /** The step ended: send what is left; the next step's events count from 0 again. */
  endStep(): void {
    this.flush();
    this.index = 0;
  }
}
