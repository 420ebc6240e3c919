import fc from 'fast-check';
import { EventGlobsSchema } from './event-glob';
import { globMatch, globMatcher } from './glob';

/** The same globs as a regular expression (fine for a few stars: it backtracks on many). */
const byRegExp = (glob: string, type: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\-]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(type);

describe(globMatch.name, () => {
  it('matches names, `*` and `?`', () => {
    expect(globMatch('job.completed', 'job.completed')).toBe(true);
    expect(globMatch('job.completed', 'job.completed.x')).toBe(false);
    expect(globMatch('job.*', 'job.waiting-children')).toBe(true);
    expect(globMatch('job.*', 'agent.updated')).toBe(false);
    expect(globMatch('*', 'agent.step')).toBe(true);
    expect(globMatch('*.completed', 'job.completed')).toBe(true);
    expect(globMatch('job.?ailed', 'job.failed')).toBe(true);
    expect(globMatch('job.?ailed', 'job.ailed')).toBe(false);
    expect(globMatch('a*b*c', 'axxbyyc')).toBe(true);
    expect(globMatch('a*b*c', 'axxbyy')).toBe(false);
  });

  it('agrees with the regular expression of the glob', () => {
    const glob = fc.stringMatching(/^[ab.*?]{0,8}$/);
    const type = fc.stringMatching(/^[ab.]{0,10}$/);
    fc.assert(
      fc.property(glob, type, (g, t) => globMatch(g, t) === byRegExp(g, t)),
      { numRuns: 2_000 },
    );
  });

  it('answers a glob of the most stars the schema takes (a regular expression backtracks for hours)', () => {
    const glob = `${'*'.repeat(99)}x`;
    expect(EventGlobsSchema.safeParse([glob]).success).toBe(true);
    expect(globMatch(glob, 'job.waiting-children')).toBe(false);
    expect(globMatcher([glob, '*?'.repeat(20)])('job.waiting-children')).toBe(true);
  });
});

describe(globMatcher.name, () => {
  it('passes a type that one of its globs matches', () => {
    const f = globMatcher(['job.completed', 'job.failed', 'approval.*']);
    expect(['job.completed', 'job.failed', 'approval.requested', 'job.started'].map(f)).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('matches allow-list globs', () => {
    const sut = globMatcher(['github__*', 'read_file']);
    expect(sut('github__create_issue')).toBe(true);
    expect(sut('read_file')).toBe(true);
    expect(sut('gitlab__x')).toBe(false);
    expect(sut('read_files')).toBe(false);
    expect(globMatcher(['a.b'])('axb')).toBe(false);
  });
});
