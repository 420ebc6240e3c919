import { agentToolName, mayNameServer } from './tool-names';

describe('MCP tool names', () => {
  it('prefixes the server and keeps to the characters model APIs accept', () => {
    expect(agentToolName('github', 'create_issue')).toBe('github__create_issue');
    expect(agentToolName('fs', 'read.file/v2')).toBe('fs__read_file_v2');
    expect(agentToolName('s', 'x'.repeat(100))).toHaveLength(64);
  });

  it('tells which servers an allow-list may reach', () => {
    expect(mayNameServer(['github__*'], 'github')).toBe(true);
    expect(mayNameServer(['github__x'], 'github')).toBe(true);
    expect(mayNameServer(['github__*'], 'git')).toBe(false);
    expect(mayNameServer(['read_file', 'finish'], 'github')).toBe(false);
    expect(mayNameServer(['*'], 'anything')).toBe(true);
    expect(mayNameServer(['git*'], 'github')).toBe(true);
  });
});
