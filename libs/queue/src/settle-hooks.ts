import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { JobEntity } from '@wiz/persistence';
import type { Emit } from './state-changes.service';

/** Runs inside the transaction of a job's terminal transition; may write rows and emit events. */
export type SettleHook = (done: JobEntity, m: EntityManager, emit: Emit) => Promise<void>;

// Features that react to a job's end in the same transaction (conversations post the agent's
// reply) register here, so the queue depends on none of them. A hook that throws
// undoes the transition with it (the job's end is retried by whoever drives it), so hooks keep
// to their own rows. Units may run twice (group commit, see StateChangesService): hooks must be safe to rerun.
@Injectable()
export class SettleHooks {
  private readonly hooks: SettleHook[] = [];

  register(hook: SettleHook): void {
    this.hooks.push(hook);
  }

  async run(done: JobEntity, m: EntityManager, emit: Emit): Promise<void> {
    for (const hook of this.hooks) await hook(done, m, emit);
  }
}
