import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WizConfig } from '@wiz/config';
import { ToolError } from '../tool';
import { globToRegExp } from './glob';
import { Workspace } from './workspace';

describe(Workspace.name, () => {
  const root = mkdtempSync(join(tmpdir(), 'wiz-ws-'));
  const outside = mkdtempSync(join(tmpdir(), 'wiz-outside-'));
  const sut = new Workspace({
    WIZ_WORKSPACE_DIR: root,
    WIZ_DATA_DIR: root,
    WIZ_WORKSPACE_MAX_FILE_BYTES: 64,
  } as WizConfig);
  let dir: string;

  beforeAll(async () => {
    dir = await sut.dirOf('local', '11111111-1111-4111-8111-111111111111');
    writeFileSync(join(outside, 'secret.txt'), 'SECRET');
    symlinkSync(outside, join(dir, 'escape'));
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'secret-link'));
    symlinkSync(join(outside, 'created-by-write.txt'), join(dir, 'dangling'));
    symlinkSync(join(outside, 'no-such-dir'), join(dir, 'dangling-dir'));
    symlinkSync(join(dir, 'docs', 'a.md'), join(dir, 'inner-link'));
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'docs', 'a.md'), 'hello');
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('reads and writes inside the agent directory', async () => {
    expect(await sut.write(dir, 'notes/today.txt', 'hi')).toBe(2);
    expect(await sut.read(dir, 'notes/today.txt')).toBe('hi');
    expect(await sut.read(dir, './docs/a.md')).toBe('hello');
    expect(await sut.walk(dir)).toEqual(['docs/a.md', 'notes/today.txt']);
  });

  it.each([
    ['../escape.txt', /goes up with "\.\."/],
    ['docs/../../x', /goes up with "\.\."/],
    ['/etc/passwd', /is absolute/],
    ['~/x', /is absolute/],
    ['escape/secret.txt', /leads outside your workspace \(symbolic link\)/],
    ['secret-link', /leads outside your workspace \(symbolic link\)/],
    ['escape/new.txt', /leads outside your workspace/],
    ['dangling', /dangling symbolic link/],
    ['dangling-dir/x.txt', /dangling symbolic link/],
    ['inner-link', /is a symbolic link: not followed/],
  ])('refuses %s', async (path, message) => {
    await expect(sut.read(dir, path)).rejects.toThrow(message);
    await expect(sut.write(dir, path, 'x')).rejects.toThrow(ToolError);
  });

  it('never creates a file outside through a dangling link', async () => {
    await expect(sut.write(dir, 'dangling', 'x')).rejects.toThrow(ToolError);
    expect(existsSync(join(outside, 'created-by-write.txt'))).toBe(false);
    expect(await sut.walk(dir)).not.toContain('dangling');
  });

  it('refuses oversize files, both ways', async () => {
    writeFileSync(join(dir, 'big.txt'), 'x'.repeat(65));
    await expect(sut.read(dir, 'big.txt')).rejects.toThrow('"big.txt" is 65 bytes: larger than the limit (64 bytes)');
    await expect(sut.write(dir, 'big2.txt', 'y'.repeat(65))).rejects.toThrow('content is 65 bytes');
  });

  it('says when a file does not exist', async () => {
    await expect(sut.read(dir, 'nope.txt')).rejects.toThrow('"nope.txt" does not exist');
  });
});

describe(globToRegExp.name, () => {
  it.each([
    ['**/*.md', 'docs/a.md', true],
    ['**/*.md', 'a.md', true],
    ['*.md', 'docs/a.md', false],
    ['docs/?.md', 'docs/a.md', true],
    ['src/{a,b}.ts', 'src/b.ts', true],
    ['src/{a,b}.ts', 'src/c.ts', false],
    ['a.md', 'aXmd', false],
  ])('%s against %s: %s', (glob, path, expected) => {
    expect(globToRegExp(glob).test(path)).toBe(expected);
  });

  it('matches in linear time whatever the pattern', () => {
    const started = Date.now();
    expect(globToRegExp('**/'.repeat(100) + 'x').test('a/'.repeat(2_000) + 'y')).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
