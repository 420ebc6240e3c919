import { bodyProblem } from './body-guard';

describe(bodyProblem.name, () => {
  it('accepts ordinary bodies', () => {
    expect(bodyProblem({ a: ['x', { b: 1 }], c: null })).toBeUndefined();
    expect(bodyProblem(undefined)).toBeUndefined();
  });

  it('refuses NUL in values and keys, at any depth, and names the field', () => {
    expect(bodyProblem({ name: 'a\u0000b' })).toMatch(/^name: NUL/);
    expect(bodyProblem({ meta: { list: ['ok', '\u0000'] } })).toMatch(/^meta\.list\.1: NUL/);
    expect(bodyProblem({ ['k\u0000']: 1 })).toMatch(/NUL .* keys/);
  });

  it('refuses a body nested 10,000 levels deep without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(10_000) + ']'.repeat(10_000));
    expect(bodyProblem(deep)).toBe('nested deeper than 64 levels');
    expect(bodyProblem(JSON.parse('['.repeat(64) + ']'.repeat(64)))).toBeUndefined();
  });
});
