import { CreateScheduleSchema } from './schedule.schema';

const template = { agentId: '6f1c1a52-3f3e-4a47-9c55-1c2b7d0e9a10', input: 'tick' };
const messages = (body: unknown) => {
  const r = CreateScheduleSchema.safeParse(body);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('CreateScheduleSchema', () => {
  const sut = CreateScheduleSchema;

  it('applies the defaults', () => {
    expect(sut.parse({ cron: '*/5 * * * *', template })).toEqual({
      cron: '*/5 * * * *',
      timezone: 'UTC',
      template: { ...template, priority: 0, attempts: 1, ignoreDependencyFailures: false },
      missedRunPolicy: 'skip',
      enabled: true,
    });
  });

  it('accepts seconds, years, nicknames and IANA zones', () => {
    for (const cron of ['* * * * * *', '0 0 12 1 1 * 2099', '@daily', '0 9 * * MON-FRI']) {
      expect(messages({ cron, timezone: 'Europe/Berlin', template })).toEqual([]);
    }
  });

  it('rejects an invalid or never-firing cron expression and an unknown zone, saying why', () => {
    expect(messages({ cron: 'every day', template })).toEqual([
      expect.stringMatching(/^cron: invalid cron expression "every day": .*five, six, or seven/),
    ]);
    expect(messages({ cron: '61 * * * *', template })).toEqual([
      expect.stringMatching(/^cron: invalid cron expression .*minute: 61/),
    ]);
    expect(messages({ cron: '0 0 30 2 *', template })).toEqual(['cron: cron expression "0 0 30 2 *" never fires']);
    expect(messages({ cron: '* * * * *', timezone: 'Mars/Olympus', template })).toEqual([
      'timezone: unknown time zone "Mars/Olympus": use an IANA name such as "Europe/Berlin" or "UTC"',
    ]);
  });

  it('rejects template fields that make no sense repeated', () => {
    for (const extra of [{ delay: 5 }, { runAt: '2030-01-01T00:00:00Z' }, { idempotencyKey: 'k' }]) {
      expect(messages({ cron: '* * * * *', template: { ...template, ...extra } })).toEqual([
        expect.stringMatching(/^template: Unrecognized key/),
      ]);
    }
  });
});
