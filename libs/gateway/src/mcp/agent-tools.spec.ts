import { agentToolNames, MAX_TOOL_NAME } from './agent-tools';

const agents = (...names: string[]) => names.map((name, i) => ({ id: `id${i}`, name }));

describe(agentToolNames.name, () => {
  it('prefixes ask_ and replaces what MCP clients refuse', () => {
    const sut = agentToolNames(agents('Mia', 'Dr. Watson', 'código-2'));
    expect([...sut.keys()]).toEqual(['ask_Mia', 'ask_Dr__Watson', 'ask_c_digo-2']);
    expect(sut.get('ask_Dr__Watson')?.id).toBe('id1');
  });

  it('cuts long names to 64 characters', () => {
    const [name] = [...agentToolNames(agents('x'.repeat(200))).keys()];
    expect(name).toHaveLength(MAX_TOOL_NAME);
    expect(name).toMatch(/^ask_x+$/);
  });

  it('de-duplicates in order, staying within 64 characters', () => {
    const long = 'y'.repeat(100);
    const sut = agentToolNames(agents('a b', 'a_b', 'a.b', long, long));
    const names = [...sut.keys()];
    expect(names.slice(0, 3)).toEqual(['ask_a_b', 'ask_a_b_2', 'ask_a_b_3']);
    expect(names[4]).toMatch(/^ask_y+_2$/);
    expect(names[4]).toHaveLength(MAX_TOOL_NAME);
    expect(new Set(names).size).toBe(5);
    expect(sut.get('ask_a_b_3')?.id).toBe('id2');
  });
});
