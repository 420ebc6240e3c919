import { Injectable } from '@nestjs/common';
import { EventType, PayloadOf } from '@wiz/contracts';
import { BusService } from '@wiz/bus';
import { JobEntity } from '@wiz/persistence';
import { jobIds, makeEvent } from '@wiz/queue';

// Token deltas of a job: core NATS, fire and forget (DESIGN.md: high-rate, may skip JetStream).
// The gateway relays them to WS subscribers of the job's and the agent's topics.
@Injectable()
export class LiveEvents {
  constructor(private readonly bus: BusService) {}

  publish<T extends EventType>(job: JobEntity, type: T, data: PayloadOf<T>): void {
    const e = makeEvent(type, jobIds(job), data);
    this.bus.nc.publish(this.bus.names.liveSubject(e), JSON.stringify(e));
  }
}
