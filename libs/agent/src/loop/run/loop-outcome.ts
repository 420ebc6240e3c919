import type { EntityManager } from 'typeorm';
import type { JobResult } from '@wiz/contracts';
import type { Emit } from '@wiz/queue';

export type Write = (m: EntityManager, emit: Emit) => Promise<void>;

/**
 * `write`: the loop's last save (context, events, promotion into long-term memory), for the
 * runner to commit in the transaction that completes or fails the job (one fewer per job).
 */
export type FinishedOutcome = ({ ok: true; result: JobResult } | { ok: false; reason: string; retryable: boolean }) & {
  write?: Write;
};
/** Or the job parked on child jobs (delegation): it is `waiting-children`, its agent free. */
export type LoopOutcome = FinishedOutcome | { ok?: undefined; parked: true };
