import fc from 'fast-check';
import { eventFilter, eventMatches, EventGlobsSchema } from './event-glob';

/** The same globs as a regular expression (fine for a few stars: it backtracks on many). */
const byRegExp = (glob: string, type: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\-]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(type);

describe(eventMatches.name, () => {
  it('matches names, `*` and `?`', () => {
    expect(eventMatches('job.completed', 'job.completed')).toBe(true);
    expect(eventMatches('job.completed', 'job.completed.x')).toBe(false);
    expect(eventMatches('job.*', 'job.waiting-children')).toBe(true);
    expect(eventMatches('job.*', 'agent.updated')).toBe(false);
    expect(eventMatches('*', 'agent.step')).toBe(true);
    expect(eventMatches('*.completed', 'job.completed')).toBe(true);
    expect(eventMatches('job.?ailed', 'job.failed')).toBe(true);
    expect(eventMatches('job.?ailed', 'job.ailed')).toBe(false);
    expect(eventMatches('a*b*c', 'axxbyyc')).toBe(true);
    expect(eventMatches('a*b*c', 'axxbyy')).toBe(false);
  });

  it('agrees with the regular expression of the glob', () => {
    const glob = fc.stringMatching(/^[ab.*?]{0,8}$/);
    const type = fc.stringMatching(/^[ab.]{0,10}$/);
    fc.assert(
      fc.property(glob, type, (g, t) => eventMatches(g, t) === byRegExp(g, t)),
      { numRuns: 2_000 },
    );
  });

  it('answers a glob of the most stars the schema takes (a regular expression backtracks for hours)', () => {
    const glob = `${'*'.repeat(99)}x`;
    expect(EventGlobsSchema.safeParse([glob]).success).toBe(true);
    expect(eventMatches(glob, 'job.waiting-children')).toBe(false);
    expect(eventFilter([glob, '*?'.repeat(20)])('job.waiting-children')).toBe(true);
  });
});

describe(eventFilter.name, () => {
  it('passes a type that one of its globs matches', () => {
    const f = eventFilter(['job.completed', 'job.failed', 'approval.*']);
    expect(['job.completed', 'job.failed', 'approval.requested', 'job.started'].map(f)).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });
});
