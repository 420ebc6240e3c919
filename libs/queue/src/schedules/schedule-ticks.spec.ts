import { MissedRunPolicy } from '@wiz/contracts';
import { MAX_COUNTED, nextTick, planTicks } from './schedule-ticks';

const at = (iso: string) => new Date(iso);
const isos = (ds: Date[]) => ds.map((d) => d.toISOString());
const hourly = (missedRunPolicy: MissedRunPolicy, timezone = 'UTC') => ({
  cron: '0 * * * *',
  timezone,
  missedRunPolicy,
});

describe(planTicks.name, () => {
  it('fires the due tick once and moves to the next one when on time', () => {
    const sut = planTicks(hourly('skip'), at('2025-05-01T12:00:00Z'), at('2025-05-01T12:00:00.300Z'));
    expect(isos(sut.fire)).toEqual(['2025-05-01T12:00:00.000Z']);
    expect(sut.missed).toBe(0);
    expect(sut.nextRunAt?.toISOString()).toBe('2025-05-01T13:00:00.000Z');
  });

  it('fires a tick that falls exactly on now, and not again', () => {
    const sut = planTicks(hourly('run-all'), at('2025-05-01T12:00:00Z'), at('2025-05-01T12:00:00Z'));
    expect(isos(sut.fire)).toEqual(['2025-05-01T12:00:00.000Z']);
    expect(sut.nextRunAt?.toISOString()).toBe('2025-05-01T13:00:00.000Z');
  });

  describe('after an outage (due 10:00, now 12:30, hourly)', () => {
    const due = at('2025-05-01T10:00:00Z');
    const now = at('2025-05-01T12:30:00Z');

    it('skip: drops every missed tick when the latest is past the grace window', () => {
      const sut = planTicks(hourly('skip'), due, now);
      expect(sut.fire).toEqual([]);
      expect(sut.missed).toBe(3);
      expect(sut.nextRunAt?.toISOString()).toBe('2025-05-01T13:00:00.000Z');
    });

    it('run-once: fires the latest tick for all of them', () => {
      const sut = planTicks(hourly('run-once'), due, now);
      expect(isos(sut.fire)).toEqual(['2025-05-01T12:00:00.000Z']);
      expect(sut.missed).toBe(2);
    });

    it('run-all: fires every missed tick, oldest first', () => {
      const sut = planTicks(hourly('run-all'), due, now);
      expect(isos(sut.fire)).toEqual([
        '2025-05-01T10:00:00.000Z',
        '2025-05-01T11:00:00.000Z',
        '2025-05-01T12:00:00.000Z',
      ]);
      expect(sut.missed).toBe(0);
      expect(sut.nextRunAt?.toISOString()).toBe('2025-05-01T13:00:00.000Z');
    });
  });

  it('skip: still fires the latest tick when it is within the grace window', () => {
    const everyMinute = { cron: '* * * * *', timezone: 'UTC', missedRunPolicy: 'skip' as const };
    const sut = planTicks(everyMinute, at('2025-05-01T10:00:00Z'), at('2025-05-01T12:00:30Z'));
    expect(isos(sut.fire)).toEqual(['2025-05-01T12:00:00.000Z']);
    expect(sut.missed).toBe(120);
  });

  it('run-all: caps a long backlog to the latest ticks', () => {
    const everySecond = { cron: '* * * * * *', timezone: 'UTC', missedRunPolicy: 'run-all' as const };
    const now = at('2025-05-01T12:00:00.500Z');
    const sut = planTicks(everySecond, at('2025-05-01T11:59:00Z'), now, 60_000, 10);
    expect(sut.fire).toHaveLength(10);
    expect(sut.fire.at(0)?.toISOString()).toBe('2025-05-01T11:59:51.000Z');
    expect(sut.fire.at(-1)?.toISOString()).toBe('2025-05-01T12:00:00.000Z');
    expect(sut.missed).toBe(51);
    expect(sut.nextRunAt?.toISOString()).toBe('2025-05-01T12:00:01.000Z');
  });

  it('run-all: a backlog too long to count is read from its end', () => {
    const everySecond = { cron: '* * * * * *', timezone: 'UTC', missedRunPolicy: 'run-all' as const };
    const sut = planTicks(everySecond, at('2025-04-01T00:00:00Z'), at('2025-05-01T12:00:00Z'));
    expect(sut.fire).toHaveLength(100);
    expect(sut.fire.at(-1)?.toISOString()).toBe('2025-05-01T12:00:00.000Z');
    expect(sut.missed).toBe(MAX_COUNTED - 100);
  });

  describe('in Europe/Berlin across DST', () => {
    it('an hourly schedule fires both 02:00 when the clocks go back (interval job)', () => {
      // 2025-10-26 01:00Z: 03:00 CEST becomes 02:00 CET.
      const sut = planTicks(hourly('run-all', 'Europe/Berlin'), at('2025-10-26T00:00:00Z'), at('2025-10-26T02:30:00Z'));
      expect(isos(sut.fire)).toEqual([
        '2025-10-26T00:00:00.000Z',
        '2025-10-26T01:00:00.000Z',
        '2025-10-26T02:00:00.000Z',
      ]);
    });

    it('a daily 02:30 fires at 03:00 when the clocks skip 02:30, and once when 02:30 comes twice', () => {
      const daily = { cron: '30 2 * * *', timezone: 'Europe/Berlin' };
      // 2025-03-30 01:00Z: 02:00 CET becomes 03:00 CEST, so 02:30 does not exist.
      expect(nextTick(daily, at('2025-03-29T12:00:00Z'))?.toISOString()).toBe('2025-03-30T01:00:00.000Z');
      expect(nextTick(daily, at('2025-03-30T01:00:00Z'))?.toISOString()).toBe('2025-03-31T00:30:00.000Z');
      const fall = planTicks(
        { ...daily, missedRunPolicy: 'run-all' },
        at('2025-10-26T00:30:00Z'),
        at('2025-10-26T12:00:00Z'),
      );
      expect(isos(fall.fire)).toEqual(['2025-10-26T00:30:00.000Z']);
      expect(fall.nextRunAt?.toISOString()).toBe('2025-10-27T01:30:00.000Z');
    });

    it('a 09:00 schedule follows the local clock, not a fixed UTC offset', () => {
      const nine = { cron: '0 9 * * *', timezone: 'Europe/Berlin' };
      expect(nextTick(nine, at('2025-03-29T00:00:00Z'))?.toISOString()).toBe('2025-03-29T08:00:00.000Z');
      expect(nextTick(nine, at('2025-03-30T00:00:00Z'))?.toISOString()).toBe('2025-03-30T07:00:00.000Z');
    });
  });
});
