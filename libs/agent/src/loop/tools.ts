import { tool } from 'ai';
import { z } from 'zod';
import type { ToolSummary } from '../persona';

export interface ToolHost {
  progress(percent: number): Promise<void>;
  remember(note: string, topic?: string): void;
}

const descriptions = {
  report_progress: 'report how far the job is (0–100) so the user can follow it',
  remember: 'save a lesson or a fact to your long-term memory (kept for your next jobs)',
  finish: 'give your final answer; call it once, when you are done',
} as const;

// The built-in tools of every agent. Arguments are validated against the zod schemas by the AI SDK
// before `execute` runs; an invalid call goes back to the model as a tool error.
export function builtInTools(host: ToolHost) {
  return {
    report_progress: tool({
      description: descriptions.report_progress,
      inputSchema: z.object({ percent: z.number().min(0).max(100), note: z.string().max(500).optional() }),
      execute: async ({ percent }) => {
        await host.progress(percent);
        return { ok: true, progress: Math.round(percent) };
      },
    }),
    remember: tool({
      description: descriptions.remember,
      inputSchema: z.object({ note: z.string().min(1).max(2_000), topic: z.string().min(1).max(200).optional() }),
      execute: async ({ note, topic }) => {
        host.remember(note, topic);
        return { ok: true };
      },
    }),
    finish: tool({
      description: descriptions.finish,
      inputSchema: z.object({ answer: z.string().min(1).max(200_000) }),
      execute: async ({ answer }) => ({ ok: true, answer }),
    }),
  };
}

export const BUILT_IN_TOOL_SUMMARIES: readonly ToolSummary[] = Object.entries(descriptions).map(([name, description]) => ({
  name,
  description,
}));
