import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { WizError } from '@wiz/contracts';
import { ScheduleEntity, SchedulesRepository } from '@wiz/persistence';
import { makeEvent } from '../events';
import { JobsService } from '../jobs.service';
import { PeriodicWorker } from '../periodic.worker';
import { StateChangesService } from '../state-changes.service';
import { planTicks, TickPlan } from './schedule-ticks';
import { traceIdOrNew } from '@wiz/telemetry';

const EVERY_MS = 500;
const BATCH = 100;
// The template can no longer make a job: the tick is lost, the schedule moves on. Other errors
// (store or bus down) leave the schedule as it is, to be fired on a later pass.
// A spent budget (rate_limited without a retry time) also skips the tick (recorded as the
// schedule's last error); a full queue (rate_limited with Retry-After) is retried on a later pass.
const TEMPLATE_ERRORS = new Set(['not_found', 'conflict', 'validation_failed']);
const skipsTick = (e: unknown): e is WizError =>
  e instanceof WizError &&
  (TEMPLATE_ERRORS.has(e.code) || (e.code === 'rate_limited' && e.retryAfterSec === undefined));

export const tickKey = (scheduleId: string, tick: Date): string => `schedule:${scheduleId}:${tick.toISOString()}`;

// Fires due cron schedules. Every runtime runs this loop, and each tick still makes exactly one
// job, with no lock: each tick's job is submitted FIRST, with the idempotency key
// `schedule:<id>:<tick>`, and only then does the schedule move past its ticks with a
// compare-and-set on its revision (with `schedule.fired`, in one transaction).
// - A runtime racing us submits the same keys, gets the jobs already made, and its CAS fails.
// - A crash between the submits and the CAS leaves the ticks due; whoever fires them next gets
//   the same jobs back. (CAS first, submit after, would lose the ticks in that crash.)
// Two racers read `now` apart, so under `skip`/`run-once` the loser may have submitted a tick the
// winner's plan dropped; that tick still has one job, never two.
@Injectable()
export class ScheduleFiringWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('Schedules');
  private readonly loop = new PeriodicWorker(
    EVERY_MS,
    () => this.pass(new Date()),
    (e) => this.log.warn(`firing schedules failed: ${String(e)}`),
  );

  constructor(
    private readonly schedules: SchedulesRepository,
    private readonly jobs: JobsService,
    private readonly changes: StateChangesService,
  ) {}

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }

  /** One pass over the due schedules; returns how many this process advanced. Passes never overlap. */
  async tick(now = new Date()): Promise<number> {
    return (await this.loop.run(() => this.pass(now))) ?? 0;
  }

  private async pass(now: Date): Promise<number> {
    let advanced = 0;
    for (const s of await this.schedules.due(now, BATCH)) {
      try {
        if (await this.fire(s, now)) advanced++;
      } catch (e) {
        this.log.warn(`schedule ${s.id}: firing failed, will retry: ${String(e)}`);
      }
    }
    return advanced;
  }

  private async fire(s: ScheduleEntity, now: Date): Promise<boolean> {
    const traceId = traceIdOrNew();
    let plan: TickPlan;
    try {
      plan = planTicks(s, s.nextRunAt ?? now, now);
    } catch (e) {
      // The stored expression or zone is no longer understood (e.g. a zone this runtime lacks).
      return this.advance(
        s,
        { fire: [], missed: 0, nextRunAt: null },
        [],
        `cannot compute ticks: ${String(e)}`,
        traceId,
        true,
      );
    }
    const jobIds: string[] = [];
    for (const tick of plan.fire) {
      try {
        jobIds.push(
          (await this.jobs.submit(s.ownerId, { ...s.template, idempotencyKey: tickKey(s.id, tick) }, traceId)).id,
        );
      } catch (e) {
        if (!skipsTick(e)) throw e;
        this.log.warn(`schedule ${s.id}: tick ${tick.toISOString()} made no job: ${e.message}`);
        // A deleted agent never comes back: stop firing rather than fail every tick.
        const stop = e.code === 'not_found';
        return this.advance(s, stop ? { ...plan, nextRunAt: null } : plan, jobIds, e.message, traceId, stop);
      }
    }
    return this.advance(s, plan, jobIds, null, traceId);
  }

  private advance(
    s: ScheduleEntity,
    plan: TickPlan,
    jobIds: string[],
    error: string | null,
    traceId: string,
    disable = false,
  ): Promise<boolean> {
    const fired = plan.fire.slice(0, jobIds.length);
    const patch = { nextRunAt: plan.nextRunAt, lastRunAt: fired.at(-1) ?? s.lastRunAt, updatedAt: new Date() };
    return this.changes.commit(async (m, emit) => {
      if (
        !(await this.schedules.advance(s.ownerId, s.id, s.revision, disable ? { ...patch, enabled: false } : patch, m))
      )
        return false;
      emit.event(
        makeEvent(
          'schedule.fired',
          { agentId: s.template.agentId, traceId },
          {
            scheduleId: s.id,
            ticks: fired.map((t) => t.toISOString()),
            jobIds,
            missed: plan.missed + plan.fire.length - fired.length,
            nextRunAt: plan.nextRunAt?.toISOString() ?? null,
            error,
          },
        ),
      );
      return true;
    });
  }
}
