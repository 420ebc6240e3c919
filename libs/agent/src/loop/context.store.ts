import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { ActivityContext } from '@wiz/contracts';
import {
  ActivityContextEntity,
  ActivityContextsRepository,
  CONTEXT_LOGS,
  ContextEntry,
  ContextHead,
  ContextLog,
  JobEntity,
} from '@wiz/persistence';
import { LOST_RUN, PARKED, PARKED_INPUT, recordBefore } from '@wiz/queue';

export type ContextState = Omit<ActivityContext, 'jobId' | 'agentId' | 'createdAt' | 'updatedAt'>;

/** What the store holds of a context's lists: their elements as last written, and where. */
export interface StoredLists {
  generation: number;
  entries: number;
  /** null: the store's lists are not known to be a prefix of ours (never saved, an old row). */
  lists: Record<ContextLog, readonly unknown[]> | null;
}

export interface LiveContext {
  entity: ActivityContextEntity;
  state: ContextState;
  stored: StoredLists;
}

/** A context as it was when a save was started: what that save writes, whenever it commits. */
export interface ContextSnapshot {
  /** The row without its lists. */
  head: ContextHead;
  lists: Record<ContextLog, readonly unknown[]>;
  at: Date;
}

// ActivityContext rows: one per job, saved inside the transaction that emits the step's events.
// The lists that grow (messages, tool calls, partial outputs, errors, learnings) are appended:
// a save writes the row without them and only the elements added since the last save, so a
// step costs the same whatever the job's history. A list whose saved elements changed (replaced
// by a summary or a restart, a tool result patched in) makes the save write the whole context as
// a new generation. Hence the rule for code that changes a context: elements of these lists are
// never mutated in place once added; replace them (copy on write).
@Injectable()
export class ContextStore {
  constructor(private readonly repo: ActivityContextsRepository) {}

  fresh(job: JobEntity): LiveContext {
    const now = new Date();
    const state: ContextState = {
      input: job.input,
      phase: 'plan',
      iteration: 0,
      plan: null,
      planNote: null,
      messages: [],
      toolCalls: [],
      validationResult: null,
      partialOutputs: [],
      errors: [],
      learnings: [],
      steps: 0,
      tokens: 0,
      runs: 0,
    };
    const entity = Object.assign(new ActivityContextEntity(), {
      jobId: job.id,
      ownerId: job.ownerId,
      agentId: job.agentId,
      state,
      createdAt: now,
      updatedAt: now,
    });
    return { entity, state, stored: { generation: 0, entries: 0, lists: null } };
  }

  // A run after a lost one (the runtime died) continues from the stored context, and so does one
  // woken from a park (its children ended, or an ask's deadline); a new attempt after a failed
  // one (retry policy, POST …/retry) starts over with fresh budgets.
  resume(job: JobEntity, ctx: LiveContext): void {
    const s = ctx.state;
    if (s.runs > 0) {
      const previous = job.attemptLog[job.attemptLog.length - 2];
      if (previous?.error === LOST_RUN) {
        s.errors.push(
          `run ${s.runs + 1}: continuing from the ${s.phase} phase (step ${s.steps}) after the runtime running it stopped`,
        );
      } else if (previous?.error !== PARKED && previous?.error !== PARKED_INPUT) {
        this.restart(ctx, job);
        ctx.state.errors.push(`run ${s.runs + 1}: starting over after attempt ${previous?.attempt ?? '?'} failed`);
      }
    }
    ctx.state.runs++;
  }

  /** A new attempt after a failed one starts over; the record of earlier runs stays. */
  restart(ctx: LiveContext, job: JobEntity): void {
    const { errors, runs } = ctx.state;
    ctx.state = { ...this.fresh(job).state, errors, runs };
  }

  async load(job: JobEntity): Promise<LiveContext> {
    // The first attempt of a job never ran before: nothing to read.
    if (job.attemptLog.length <= 1) return this.fresh(job);
    const entity = await this.repo.findByJob(job.ownerId, job.id);
    if (!entity) return this.fresh(job);
    const { generation, entries } = entity;
    // A row from before the entries (generation 0) is written whole, in the new form, at its first save.
    const lists = generation === 0 ? null : listsOf(entity.state);
    return { entity, state: entity.state, stored: { generation, entries, lists } };
  }

  /**
   * Writes the context in `m`'s transaction: the row and the lists' new elements, or, when the
   * stored lists are not a prefix of ours, the whole context as a new generation. If the
   * transaction rolls back, what we know of the store goes back too (the journal), and the row's
   * generation and entry count are checked anyway, so the next save never appends to a context
   * the store does not hold. `withCommit`: an append is sent with the commit (see
   * ActivityContextsRepository.append); if the store holds another context, the transaction
   * fails (isStaleContext) and the caller calls `rewriteNext` before saving again.
   */
  async save(
    ctx: LiveContext,
    m: EntityManager,
    o: { withCommit?: boolean } = {},
    snap: ContextSnapshot = this.snapshot(ctx),
  ): Promise<void> {
    ctx.entity.updatedAt = snap.at;
    ctx.entity.state = ctx.state;
    const { stored } = ctx;
    const { head, lists } = snap;
    const added = stored.lists && appended(stored.lists, lists);
    recordBefore(m, ctx, ['stored']);
    if (added && (await this.repo.append(head, stored.generation, stored.entries, added, m, o))) {
      ctx.stored = { generation: stored.generation, entries: stored.entries + added.length, lists };
      added.forEach((e) => deepFreeze(e.value));
      return;
    }
    const all = CONTEXT_LOGS.flatMap((kind) => lists[kind].map((value) => ({ kind, value })));
    // Never saved (a job's first save): its first generation, sent with the commit too.
    const generation =
      o.withCommit && stored.generation === 0 && this.repo.createWithCommit(head, all, m)
        ? 1
        : await this.repo.rewrite(head, all, m);
    ctx.stored = { generation, entries: all.length, lists };
    all.forEach((e) => deepFreeze(e.value));
  }

  /**
   * The context as it is now (its lists copied, the row's fields): a save given it writes this,
   * even if the run changes the context before the save's transaction runs.
   */
  snapshot(ctx: LiveContext): ContextSnapshot {
    const at = new Date();
    return { head: { ...ctx.entity, updatedAt: at, state: headOf(ctx.state) }, lists: listsOf(ctx.state), at };
  }
}

/** The next save writes the whole context as a new generation (the store holds another). */
export function rewriteNext(ctx: LiveContext): void {
  ctx.stored = { ...ctx.stored, lists: null };
}

/**
 * A saved element is frozen (each element once, when first saved), so that code breaking the
 * copy-on-write rule fails loudly (a TypeError in strict mode) instead of leaving the stored
 * context silently behind the live one.
 */
function deepFreeze(v: unknown): void {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const child of Object.values(v)) deepFreeze(child);
}

/** The lists as they are now (copies: an array pushed to later must not change what we saved). */
function listsOf(state: ContextState): Record<ContextLog, readonly unknown[]> {
  const lists = {} as Record<ContextLog, readonly unknown[]>;
  for (const k of CONTEXT_LOGS) lists[k] = [...(state[k] as unknown[])];
  return lists;
}

/** The state without its lists: what the row holds. */
function headOf(state: ContextState): object {
  const head: Record<string, unknown> = { ...state };
  for (const k of CONTEXT_LOGS) delete head[k];
  return head;
}

/** The elements added since `before`, or null if an element of `before` is no longer in place. */
export function appended(
  before: Record<ContextLog, readonly unknown[]>,
  now: Record<ContextLog, readonly unknown[]>,
): ContextEntry[] | null {
  const added: ContextEntry[] = [];
  for (const kind of CONTEXT_LOGS) {
    const [was, is] = [before[kind], now[kind]];
    if (is.length < was.length) return null;
    for (let i = 0; i < was.length; i++) if (was[i] !== is[i]) return null;
    for (let i = was.length; i < is.length; i++) added.push({ kind, value: is[i] });
  }
  return added;
}
