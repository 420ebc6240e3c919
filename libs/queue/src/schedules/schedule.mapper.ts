import { Schedule } from '@wiz/contracts';
import { ScheduleEntity } from '@wiz/persistence';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toSchedule(e: ScheduleEntity): Schedule {
  return {
    id: e.id,
    name: e.name,
    cron: e.cron,
    timezone: e.timezone,
    template: e.template,
    missedRunPolicy: e.missedRunPolicy,
    enabled: e.enabled,
    nextRunAt: iso(e.nextRunAt),
    lastRunAt: iso(e.lastRunAt),
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}
