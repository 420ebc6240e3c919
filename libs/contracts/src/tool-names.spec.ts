import { ToolAllowListSchema } from './agent.schema';
import { ApprovalPoliciesSchema } from './human-input.schema';
import { isUnknownToolName } from './tool-names';

describe(isUnknownToolName.name, () => {
  it('knows the built-in names and leaves globs and MCP tools alone', () => {
    expect(
      ['read_file', 'finish', 'github__create_issue', 'github__*', 'todo_*', 'read_fil?', '*'].some(isUnknownToolName),
    ).toBe(false);
    expect(['raed_file', 'search', 'Read_File', 'github_create_issue'].every(isUnknownToolName)).toBe(true);
  });
});

describe('tool names in contracts', () => {
  it('refuses an allow-list entry that names no tool, saying which and what is allowed', () => {
    const r = ToolAllowListSchema.safeParse(['read_file', 'raed_file', 'github__*']);
    expect(r.success).toBe(false);
    expect(r.error!.issues).toEqual([
      expect.objectContaining({
        path: [1],
        message: expect.stringMatching(
          /^unknown tool "raed_file": a built-in tool \(ask_agent, .*write_file\), an MCP server's tool as server__tool, or a glob$/,
        ),
      }),
    ]);
    expect(ToolAllowListSchema.safeParse(['read_file', 'files__read_file', 'web*']).success).toBe(true);
  });

  it('refuses an approval policy for a tool that does not exist (it would gate nothing)', () => {
    const r = ApprovalPoliciesSchema.safeParse({ todo_write: 'always', wirte_file: 'always', 'github__*': 'never' });
    expect(r.success).toBe(false);
    expect(r.error!.issues).toEqual([
      expect.objectContaining({ path: ['wirte_file'], message: expect.stringContaining('unknown tool "wirte_file"') }),
    ]);
    expect(ApprovalPoliciesSchema.safeParse({ 'todo_*': 'always', files__delete: 'always' }).success).toBe(true);
  });
});
