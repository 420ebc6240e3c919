import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CreateScheduleParsed, isUuid, notFound, PageOf, PageQuery, Schedule } from '@wiz/contracts';
import { AgentsRepository, OwnerCaps, ScheduleEntity, SchedulesRepository } from '@wiz/persistence';
import { makeEvent } from '../events';
import { StateChangesService } from '../state-changes.service';
import { toSchedule } from './schedule.mapper';
import { nextTick } from './schedule-ticks';
import { traceIdOrNew } from '@wiz/telemetry';

// What clients do with cron schedules. Firing is the runtime's (ScheduleFiringWorker).
@Injectable()
export class SchedulesService {
  constructor(
    private readonly agents: AgentsRepository,
    private readonly schedules: SchedulesRepository,
    private readonly changes: StateChangesService,
    private readonly caps: OwnerCaps,
  ) {}

  /** `body` is validated by the caller (REST: CreateScheduleSchema, which applies the defaults). */
  async create(ownerId: string, body: CreateScheduleParsed): Promise<Schedule> {
    const agentId = body.template.agentId;
    if (!(await this.agents.findById(ownerId, agentId))) throw notFound('agent', agentId);
    const now = new Date();
    const entity = Object.assign(new ScheduleEntity(), {
      id: randomUUID(),
      ownerId,
      name: body.name ?? null,
      cron: body.cron,
      timezone: body.timezone,
      template: body.template,
      missedRunPolicy: body.missedRunPolicy,
      enabled: body.enabled,
      // A disabled schedule has no next run; ticks before creation are never due.
      nextRunAt: body.enabled ? nextTick(body, now) : null,
      lastRunAt: null,
      revision: 0,
      createdAt: now,
      updatedAt: now,
    } satisfies ScheduleEntity);
    const schedule = toSchedule(entity);
    await this.changes.commit(
      async (m, emit) => {
        await this.caps.check(m, 'schedules', ownerId);
        await this.schedules.insert(entity, m);
        emit.event(makeEvent('schedule.created', { agentId, traceId: traceIdOrNew() }, { schedule }));
      },
      OwnerCaps.key('schedules', ownerId),
    );
    return schedule;
  }

  async list(ownerId: string, page: PageQuery): Promise<PageOf<Schedule>> {
    const [items, total] = await this.schedules.list(ownerId, page);
    return { items: items.map(toSchedule), total, ...page };
  }

  async get(ownerId: string, id: string): Promise<Schedule> {
    return toSchedule(await this.load(ownerId, id));
  }

  /** A tick being fired at this very moment may still create its job; no later tick does. */
  async remove(ownerId: string, id: string): Promise<void> {
    const schedule = await this.load(ownerId, id);
    await this.changes.commit(async (m, emit) => {
      if (!(await this.schedules.delete(ownerId, id, m))) throw notFound('schedule', id);
      emit.event(
        makeEvent(
          'schedule.deleted',
          { agentId: schedule.template.agentId, traceId: traceIdOrNew() },
          { scheduleId: id },
        ),
      );
    });
  }

  private async load(ownerId: string, id: string): Promise<ScheduleEntity> {
    const schedule = isUuid(id) ? await this.schedules.findById(ownerId, id) : null;
    if (!schedule) throw notFound('schedule', id);
    return schedule;
  }
}
