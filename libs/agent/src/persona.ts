import type { ModelMessage } from 'ai';

export interface Persona {
  name: string;
  role: string;
  backstory: string | null;
  goal: string | null;
  systemPrompt: string | null;
}

// The system prompt: the agent's own when set, else derived from its persona.
export function systemPromptOf(p: Persona): string {
  if (p.systemPrompt) return p.systemPrompt;
  const lines = [`You are ${p.name}, ${p.role}.`];
  if (p.backstory) lines.push(`Backstory: ${p.backstory}`);
  if (p.goal) lines.push(`Your goal: ${p.goal}`);
  lines.push('Do the task you are given and answer with the result.');
  return lines.join('\n');
}

export function taskMessages(input: string, data: Record<string, unknown> | null): ModelMessage[] {
  const content = data && Object.keys(data).length ? `${input}\n\nData (JSON):\n${JSON.stringify(data, null, 2)}` : input;
  return [{ role: 'user', content }];
}
