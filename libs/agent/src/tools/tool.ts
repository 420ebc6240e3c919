import type { z } from 'zod';
import type { AgentEntity, JobEntity } from '@wiz/persistence';
import type { ContextState } from '../loop/context.store';
import type { ToolServices } from './tool-services';

/** A delegation the run parks on after this step (delegate_to_agent, ask_agent). */
export interface ParkRequest {
  toolCallId: string;
  tool: string;
  target: AgentEntity;
  input: string;
  data: Record<string, unknown> | null;
  childJobId: string;
  /** ask_agent: when the asking job stops waiting. */
  deadline: Date | null;
}

// What a handler sees of the job it runs in. Handlers change the store only through services
// that commit their own changes (StateChanges), or by asking the run to park.
export interface ToolContext {
  job: JobEntity;
  agent: AgentEntity;
  state: ContextState;
  toolCallId: string;
  services: ToolServices;
  progress(percent: number): Promise<void>;
  /** Delegations asked for in this step so far (created with the park, after the step). */
  parking: readonly ParkRequest[];
  park(request: ParkRequest): void;
  /**
   * Takes a child slot for this step before any await (the model's tool calls of one step run
   * concurrently); returns how many were taken before it, and a release for a refused call.
   */
  reserveChild(): { before: number; release(): void };
}

/** A tool: one file exporting one of these, and one line in registry.ts. */
export interface WizTool<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  input: S;
  /** Off unless the agent's allow-list names it (unsafe or costly tools). */
  optIn?: boolean;
  handler(args: z.infer<S>, ctx: ToolContext): Promise<unknown>;
}

export const defineTool = <S extends z.ZodType>(t: WizTool<S>): WizTool<S> => t;

/** A refusal the model should read (bad path, unknown agent, guard): its message is the result. */
export class ToolError extends Error {}
