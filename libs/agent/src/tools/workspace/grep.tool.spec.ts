import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WizConfig } from '@wiz/config';
import type { ToolContext } from '../tool';
import { ToolError } from '../tool';
import { Workspace } from './workspace';
import { grepFiles } from './grep.tool';

// A model's regular expression is hostile input: grep must not block the event loop with it.
describe(grepFiles.name, () => {
  const root = mkdtempSync(join(tmpdir(), 'wiz-grep-'));
  const workspace = new Workspace({ WIZ_WORKSPACE_DIR: root, WIZ_WORKSPACE_MAX_FILE_BYTES: 1 << 20 } as WizConfig);
  const ctx = {
    job: { ownerId: 'local' },
    agent: { id: '11111111-1111-4111-8111-111111111111' },
    workspace,
  } as unknown as ToolContext<'workspace'>;
  const sut = (args: { pattern: string; ignoreCase?: boolean }) => grepFiles.handler(args, ctx);

  beforeAll(async () => {
    const dir = await workspace.dirOf('local', ctx.agent.id);
    writeFileSync(join(dir, 'a.txt'), ['a'.repeat(40) + 'b', 'Hello world', 'aaa'].join('\n'));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('runs a catastrophic-backtracking pattern in linear time', async () => {
    const started = Date.now();
    const r = await sut({ pattern: '(a+)+$' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(r).toEqual({ matches: [{ path: 'a.txt', line: 3, text: 'aaa' }], truncated: false });
  });

  it('finds case-insensitively, and explains a pattern RE2 does not support', async () => {
    expect(await sut({ pattern: 'hello', ignoreCase: true })).toMatchObject({ matches: [{ line: 2 }] });
    await expect(sut({ pattern: '(?=a)' })).rejects.toThrow(ToolError);
    await expect(sut({ pattern: '(?=a)' })).rejects.toThrow(/RE2 syntax/);
  });
});
