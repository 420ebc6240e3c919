import type { LoopSettings } from '@wiz/contracts';
import type { WizConfig } from '@wiz/config';

export interface Limits {
  planning: boolean;
  maxSteps: number;
  maxTokens: number;
  maxWallMs: number;
  maxIterations: number;
}

export function limitsOf(loop: LoopSettings, c: WizConfig): Limits {
  return {
    planning: loop.planning ?? true,
    maxSteps: loop.maxSteps ?? c.WIZ_AGENT_MAX_STEPS,
    maxTokens: loop.maxTokens ?? c.WIZ_AGENT_MAX_TOKENS,
    maxWallMs: loop.maxWallMs ?? c.WIZ_AGENT_MAX_WALL_MS,
    maxIterations: loop.maxIterations ?? c.WIZ_AGENT_MAX_ITERATIONS,
  };
}

/** A budget ran out: the job fails (not retried) with this message as its reason. */
export class BudgetExceeded extends Error {}

export const budgetReason = {
  steps: (n: number) => `budget exhausted: ${n} model steps used (maxSteps ${n}) before the agent finished`,
  tokens: (used: number, max: number) => `budget exhausted: ${used} tokens used (maxTokens ${max})`,
  wall: (ms: number) => `budget exhausted: the run took longer than ${ms} ms (maxWallMs)`,
  iterations: (n: number, feedback: string) =>
    `validation failed ${n} time(s) (maxIterations ${n}): ${feedback || 'no feedback'}`,
};
