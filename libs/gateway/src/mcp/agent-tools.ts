// The MCP tool name of each agent: `ask_<name>`, the name cut to what MCP clients accept
// ([a-zA-Z0-9_-], at most 64 characters in all), and made unique with `_2`, `_3`… in the given
// order (oldest agent first, so a name keeps its tool while older agents stay).
export const MAX_TOOL_NAME = 64;
const PREFIX = 'ask_';

export function agentToolNames<T extends { id: string; name: string }>(agents: readonly T[]): Map<string, T> {
  const byName = new Map<string, T>();
  for (const agent of agents) {
    const base = (PREFIX + agent.name.replace(/[^a-zA-Z0-9_-]/g, '_')).slice(0, MAX_TOOL_NAME);
    let name = base;
    for (let n = 2; byName.has(name); n++) {
      const suffix = `_${n}`;
      name = base.slice(0, MAX_TOOL_NAME - suffix.length) + suffix;
    }
    byName.set(name, agent);
  }
  return byName;
}
