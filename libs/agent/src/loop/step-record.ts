import { cleanModelText } from '@wiz/llm';
import type { LanguageModelUsage, StepResult, ToolSet } from 'ai';
import type { EventType, PayloadOf } from '@wiz/contracts';
import { toolErrorOf } from '../tools/registry';
import type { ContextState } from './context.store';
import { clip } from '@wiz/contracts';

/** An event to write with the next context save. */
export type Pending = { [T in EventType]: [T, PayloadOf<T>] }[EventType];

export const usageOf = (u: LanguageModelUsage) => ({ inputTokens: u.inputTokens, outputTokens: u.outputTokens });

// One model step of the act phase into the context (tool calls and their results, partial text)
// and the events that say so: `tool.called`, `tool.result` (with `error` for a refusal or an
// invalid call), `agent.step`. `ended`: why the act phase ends with this step ('finish-tool', or
// the model's finish reason), if it does: the step's event says it (one event, not one more for
// the phase), and its text is the answer, not a partial output.
export function recordStep(s: ContextState, step: StepResult<ToolSet>, ended?: string): Pending[] {
  const events: Pending[] = [];
  const n = s.steps + 1;
  for (const c of step.toolCalls) {
    s.toolCalls.push({ step: n, toolCallId: c.toolCallId, tool: c.toolName, args: c.input });
    events.push(['tool.called', { step: n, toolCallId: c.toolCallId, tool: c.toolName, args: c.input }]);
  }
  for (const part of step.content) {
    if (part.type !== 'tool-result' && part.type !== 'tool-error') continue;
    const refused = part.type === 'tool-result' ? toolErrorOf(part.output) : undefined;
    const outcome =
      part.type === 'tool-result'
        ? { result: part.output, ...(refused ? { error: refused } : {}) }
        : { error: clip(String((part.error as Error)?.message ?? part.error), 1_000) };
    setTrace(s, part.toolCallId, outcome);
    events.push(['tool.result', { step: n, toolCallId: part.toolCallId, tool: part.toolName, ...outcome }]);
  }
  if (ended === undefined && step.text) s.partialOutputs.push(cleanModelText(step.text));
  events.push([
    'agent.step',
    {
      iteration: s.iteration,
      step: n,
      phase: 'act',
      finishReason: ended ?? step.finishReason,
      usage: usageOf(step.usage),
    },
  ]);
  return events;
}

type ToolTrace = ContextState['toolCalls'][number];

/**
 * Sets the outcome of the traced tool call `toolCallId` (replaced, not mutated: the saved
 * context's lists only grow, see ContextStore); returns the trace, if the call is traced.
 */
export function setTrace(s: ContextState, toolCallId: string, outcome: Partial<ToolTrace>): ToolTrace | undefined {
  // From the end: the call is most often of the current step.
  for (let i = s.toolCalls.length - 1; i >= 0; i--) {
    const trace = s.toolCalls[i]!;
    if (trace.toolCallId === toolCallId) return (s.toolCalls[i] = { ...trace, ...outcome });
  }
  return undefined;
}
