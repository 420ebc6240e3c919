import { globMatch } from '@wiz/contracts';
import { approvalNeeded, policyFor } from './approval-policy';

describe('approval policies', () => {
  it('matches globs literally except * and ?', () => {
    expect(globMatch('github__*', 'github__create_issue')).toBe(true);
    expect(globMatch('github__*', 'gitlab__x')).toBe(false);
    expect(globMatch('todo_?ead', 'todo_read')).toBe(true);
    expect(globMatch('a.b', 'axb')).toBe(false);
  });

  it("prefers the agent's entries, exact names, then the longest glob", () => {
    expect(policyFor('todo_write', { 'todo_*': 'never' }, { todo_write: 'always' })).toEqual(['todo_*', 'never']);
    expect(policyFor('todo_write', { '*': 'never', todo_write: 'always' }, null)).toEqual(['todo_write', 'always']);
    expect(policyFor('gh__x', null, { '*': 'never', 'gh__*': 'always' })).toEqual(['gh__*', 'always']);
    expect(policyFor('other', { 'gh__*': 'always' }, null)).toBeNull();
  });

  it('gates on conditions over the arguments', () => {
    const p: Parameters<typeof approvalNeeded>[0] = [
      'write_file',
      { when: [{ path: 'path', op: 'matches', value: '^/etc' }], timeoutSec: 5 },
    ];
    expect(approvalNeeded(p, { path: '/etc/passwd' })).toMatchObject({ timeoutSec: 5, onTimeout: 'reject' });
    expect(approvalNeeded(p, { path: 'notes.txt' })).toBeNull();
    const n = (op: string, value: unknown) => ['t', { when: [{ path: 'a.b', op, value }] }] as never;
    expect(approvalNeeded(n('gt', 10), { a: { b: 11 } })).not.toBeNull();
    expect(approvalNeeded(n('lt', 10), { a: { b: 11 } })).toBeNull();
    expect(approvalNeeded(n('in', ['x', 'y']), { a: { b: 'y' } })).not.toBeNull();
    expect(approvalNeeded(n('exists', undefined), { a: {} })).toBeNull();
    expect(approvalNeeded(n('neq', 1), { a: { b: 2 } })).not.toBeNull();
    expect(approvalNeeded(['t', 'never'], {})).toBeNull();
    expect(approvalNeeded(['t', 'always'], {})).toMatchObject({ reason: 'policy t: always' });
  });
});
