import type { AgentStateEntity } from '@wiz/persistence';
import type { Plan, ValidationVerdict } from '@wiz/contracts';

// Every instruction the agent loop gives the model, in one place: read and change them here.
// The persona part of the system prompt comes from ../persona.ts; these are appended per phase.

export const PLAN_INSTRUCTIONS = `Before you work, write your plan.
Answer with JSON only, no prose, in this shape:
{"validationCriteria": ["how you will know the task is done, one checkable statement each"],
 "steps": ["what you will do, in order"]}`;

export const ACT_INSTRUCTIONS = `Work through your plan. Use your tools when they help.
When you are done, call the finish tool with your final answer (or reply with the answer as text).`;

export const VALIDATE_INSTRUCTIONS = `Check the answer below against each of the validation criteria.
Answer with JSON only, no prose, in this shape:
{"passed": true or false, "feedback": "what is missing or wrong; empty when passed"}`;

export const SUMMARY_INSTRUCTIONS = `The conversation below became too long for the model.
Summarise it: what the task is, what was done and found so far, and what remains. Be concise and keep every fact needed to continue.`;

export function planSection(plan: Plan): string {
  return [
    'Your plan:',
    ...plan.steps.map((s, i) => `${i + 1}. ${s}`),
    'Done when:',
    ...plan.validationCriteria.map((c) => `- ${c}`),
  ].join('\n');
}

export function validationRequest(task: string, plan: Plan, answer: string): string {
  return [
    `Task:\n${task}`,
    `Validation criteria:\n${plan.validationCriteria.map((c) => `- ${c}`).join('\n')}`,
    `Answer:\n${answer}`,
  ].join('\n\n');
}

export function retryRequest(verdict: ValidationVerdict): string {
  return `Your answer did not meet the validation criteria.\nFeedback: ${verdict.feedback || '(none given)'}\nImprove it, then finish again.`;
}

export function summaryContinuation(task: string, summary: string): string {
  return `${task}\n\nSummary of your work so far (the earlier conversation was too long):\n${summary}`;
}

/** What the agent remembers, for its system prompt. */
export function memorySection(state: AgentStateEntity | null): string {
  if (!state) return '';
  const lines: string[] = [];
  if (state.goals.length) lines.push('Your standing goals:', ...state.goals.map((g) => `- ${g}`));
  if (state.learnings.length)
    lines.push('What you have learned before:', ...state.learnings.slice(-20).map((l) => `- ${l}`));
  const known = Object.entries(state.knowledge);
  if (known.length) lines.push('What you know:', ...known.slice(-20).map(([k, v]) => `- ${k}: ${v}`));
  if (state.activities.length) {
    lines.push(
      'Your recent jobs:',
      ...state.activities.slice(-5).map((a) => `- ${a.outcome}: ${a.input} → ${a.summary}`),
    );
  }
  return lines.join('\n');
}

export function withPhase(system: string, memory: string, instructions: string): string {
  return [system, memory, instructions].filter(Boolean).join('\n\n');
}

/** The first JSON object in a model's text (models wrap JSON in prose or code fences). */
export function extractJson(text: string): unknown {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return undefined;
  try {
    return JSON.parse(text.slice(start, end + 1));
  } catch {
    return undefined;
  }
}

/** A person's message added to a running job (POST /api/v1/jobs/:id/messages). */
export function steeringMessage(by: string, text: string): string {
  return `A person (${by}) adds a message while you work; take it into account:\n${text}`;
}
