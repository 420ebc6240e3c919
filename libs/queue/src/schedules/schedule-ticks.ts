import { Cron } from 'croner';
import type { MissedRunPolicy } from '@wiz/contracts';

/** `skip` still fires the latest tick if it is at most this late (a slow loop, a short restart). */
export const SKIP_GRACE_MS = 60_000;
/** `run-all` fires at most this many ticks in one firing: the latest ones. */
export const MAX_RUNS_PER_FIRING = 100;
/** Due ticks are counted one by one up to here; past it (a seconds cron after a long outage) the count stops. */
export const MAX_COUNTED = 1_000;

export interface ScheduleTiming {
  cron: string;
  timezone: string;
  missedRunPolicy: MissedRunPolicy;
}

export interface TickPlan {
  /** The ticks to fire now, oldest first: one job each. */
  fire: Date[];
  /** Due ticks the policy dropped (counted up to MAX_COUNTED). */
  missed: number;
  /** The first tick after `now`; null when the expression never fires again. */
  nextRunAt: Date | null;
}

const cronOf = (s: Pick<ScheduleTiming, 'cron' | 'timezone'>) =>
  new Cron(s.cron, { timezone: s.timezone, paused: true });

/** The first tick strictly after `after` (ticks are whole seconds). */
export function nextTick(s: Pick<ScheduleTiming, 'cron' | 'timezone'>, after: Date): Date | null {
  return cronOf(s).nextRun(after);
}

/**
 * What a firing does at `now` for a schedule whose stored next tick is `due` (≤ now): every tick
 * in [due, now] is due, and the policy picks which of them fire. Pure: same input, same plan.
 */
export function planTicks(
  s: ScheduleTiming,
  due: Date,
  now: Date,
  graceMs = SKIP_GRACE_MS,
  maxRuns = MAX_RUNS_PER_FIRING,
): TickPlan {
  const cron = cronOf(s);
  const keep = s.missedRunPolicy === 'run-all' ? maxRuns : 1;
  const { latest, count } = dueTicks(cron, due, now, keep);
  const last = latest.at(-1);
  const fire =
    s.missedRunPolicy === 'run-all'
      ? latest
      : s.missedRunPolicy === 'run-once'
        ? latest.slice(-1)
        : last && now.getTime() - last.getTime() <= graceMs
          ? [last]
          : [];
  return { fire, missed: Math.max(0, count - fire.length), nextRunAt: cron.nextRun(now) };
}

// The latest `keep` ticks in [from, now], oldest first, and how many ticks that range holds.
function dueTicks(cron: Cron, from: Date, now: Date, keep: number): { latest: Date[]; count: number } {
  const latest: Date[] = [];
  let count = 0;
  // nextRun works on whole seconds: from 1 ms before `from`, a tick at `from` itself is found.
  for (let t = cron.nextRun(new Date(from.getTime() - 1)); t && t <= now; t = cron.nextRun(t)) {
    if (++count > MAX_COUNTED) {
      // Far behind: read the latest ticks backwards from now instead of walking up to them.
      const back = cron.previousRuns(keep, new Date(now.getTime() + 1)).filter((x) => x >= from);
      return { latest: back.reverse(), count: MAX_COUNTED };
    }
    latest.push(t);
    if (latest.length > keep) latest.shift();
  }
  return { latest, count };
}
