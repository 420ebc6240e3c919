import { Job, Schedule, Task } from '@wiz/contracts';

export const taskOfJob = (j: Job): Task => ({
  id: j.id,
  type: 'job',
  agentId: j.agentId,
  input: j.input,
  status: j.status,
  runAt: j.runAt,
  cron: null,
  timezone: null,
  nextRunAt: null,
  lastRunAt: null,
  result: j.result,
  failureReason: j.failureReason,
  createdAt: j.createdAt,
});

export const taskOfSchedule = (s: Schedule): Task => ({
  id: s.id,
  type: 'schedule',
  agentId: s.template.agentId,
  input: s.template.input,
  status: s.enabled ? 'scheduled' : 'disabled',
  runAt: null,
  cron: s.cron,
  timezone: s.timezone,
  nextRunAt: s.nextRunAt,
  lastRunAt: s.lastRunAt,
  result: null,
  failureReason: null,
  createdAt: s.createdAt,
});
