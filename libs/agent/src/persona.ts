import type { ModelMessage } from 'ai';

export interface Persona {
  name: string;
  role: string;
  backstory: string | null;
  goal: string | null;
  systemPrompt: string | null;
  behaviorRules?: readonly string[];
}

export interface ToolSummary {
  name: string;
  description: string;
}

// The system prompt: the agent's own when set, else derived from its persona (role, backstory,
// goal, behavior rules, tools). Computed for every job, so a persona change applies to the next.
export function systemPromptOf(p: Persona, tools: readonly ToolSummary[] = []): string {
  if (p.systemPrompt) return p.systemPrompt;
  const lines = [`You are ${p.name}, ${p.role}.`];
  if (p.backstory) lines.push(`Backstory: ${p.backstory}`);
  if (p.goal) lines.push(`Your goal: ${p.goal}`);
  if (p.behaviorRules?.length)
    lines.push('Behavior rules (always follow them):', ...p.behaviorRules.map((r) => `- ${r}`));
  if (tools.length) lines.push('Tools you can use:', ...tools.map((t) => `- ${t.name}: ${t.description}`));
  lines.push('Do the task you are given and answer with the result.');
  return lines.join('\n');
}

export function taskText(input: string, data: Record<string, unknown> | null): string {
  return data && Object.keys(data).length ? `${input}\n\nData (JSON):\n${JSON.stringify(data, null, 2)}` : input;
}

export function taskMessages(input: string, data: Record<string, unknown> | null): ModelMessage[] {
  return [{ role: 'user', content: taskText(input, data) }];
}
