import type { z } from 'zod';
import type { ApprovalPolicies, WaitKind } from '@wiz/contracts';
import type { AgentEntity, JobEntity } from '@wiz/persistence';
import type { ContextState } from '../loop/context.store';
import type { WizConfig } from '@wiz/config';
import type { MessagesService } from '@wiz/conversations';
import type { AgentDirectory } from './deps/agent-directory';
import type { DelegationGuards } from './deps/delegation-guards';
import type { JobDesk } from './deps/job-desk';
import type { MemoryStore } from '@wiz/memory';
import type { Workspace } from './workspace/workspace';

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

/** A wait on a person or the outside world the run parks on after this step (`waiting-input`). */
export interface InputRequest {
  waitId: string;
  toolCallId: string;
  tool: string;
  kind: WaitKind;
  /** approval: the call's arguments, and its tool's input JSON Schema (what an edit must fit). */
  arguments: Record<string, unknown> | null;
  inputSchema: Record<string, unknown> | null;
  /** approval: the policy that gated it; question: the question; signal: what it waits for. */
  reason: string;
  choices: string[] | null;
  signal: string | null;
  deadline: Date | null;
  onTimeout: 'reject' | 'approve';
}

/** The approval policies a run applies: its agent's, then its owner's default. */
export interface RunPolicies {
  agent: ApprovalPolicies | null;
  owner: ApprovalPolicies | null;
}

/**
 * What tools may ask for, each a narrow view: a tool names the ones it uses (`needs`) and its
 * context carries those only.
 */
export interface ToolDeps {
  /** The owner's agents: list, resolve by name or id, who may reach whom. */
  directory: Pick<AgentDirectory, 'list' | 'resolve' | 'mayReach'>;
  /** The limits on a new child job. */
  guards: Pick<DelegationGuards, 'checkChild' | 'chainOf'>;
  workspace: Workspace;
  memory: Pick<MemoryStore, 'save' | 'query'>;
  messages: Pick<MessagesService, 'postAsAgent'>;
  jobs: JobDesk;
  config: Pick<WizConfig, 'WIZ_ASK_TIMEOUT_SEC' | 'WIZ_DELEGATION_MAX_DEPTH'>;
}
export type ToolNeed = keyof ToolDeps;

// What a handler sees of the job it runs in, and the collaborators it declared. Handlers change
// the store only through collaborators that commit their own changes, or by asking the run to park.
export type ToolContext<N extends ToolNeed = never> = ToolRunContext & Pick<ToolDeps, N>;

export interface ToolRunContext {
  job: JobEntity;
  agent: AgentEntity;
  state: ContextState;
  toolCallId: string;
  /** Aborted when the job is cancelled or runs out of budget: pass it to outbound calls. */
  signal: AbortSignal;
  progress(percent: number): Promise<void>;
  /** Delegations asked for in this step so far (created with the park, after the step). */
  parking: readonly ParkRequest[];
  park(request: ParkRequest): void;
  /** Parks the job on a person or a signal after this step (ask_human, wait_for_signal). */
  waitFor(request: Omit<InputRequest, 'waitId' | 'toolCallId' | 'tool'>): { waitId: string };
  /**
   * Takes a child slot for this step before any await (the model's tool calls of one step run
   * concurrently); returns how many were taken before it, and a release for a refused call.
   */
  reserveChild(): { before: number; release(): void };
}

/** A tool: one file exporting one of these, and one line in registry.ts. */
export interface WizTool<S extends z.ZodType = z.ZodType, N extends ToolNeed = ToolNeed> {
  name: string;
  description: string;
  input: S;
  /**
   * The JSON Schema shown to the model, when the tool brings its own (MCP tools); `input` then
   * only checks the arguments' shape and the tool's server validates them.
   */
  jsonSchema?: Record<string, unknown>;
  /** Off unless the agent's allow-list names it (unsafe or costly tools). */
  optIn?: boolean;
  /**
   * Changes nothing but the run's own context (its state, its answer): runs without waiting for
   * the run's earlier saves to commit. A tool with any other effect (a collaborator, a park, a
   * wait, progress) must not say so.
   */
  local?: true;
  /** The collaborators the handler uses (none when left out). */
  needs?: readonly N[];
  handler(args: z.infer<S>, ctx: ToolContext<N>): Promise<unknown>;
}

export const defineTool = <S extends z.ZodType, const N extends ToolNeed = never>(t: WizTool<S, N>): WizTool<S, N> => t;

/** The context of `tool`'s handler: the run's part, and the collaborators it declared. */
export function contextFor(tool: WizTool, run: ToolRunContext, deps: ToolDeps): ToolContext<ToolNeed> {
  const picked: Partial<ToolDeps> = {};
  for (const n of tool.needs ?? []) (picked as Record<string, unknown>)[n] = deps[n];
  return { ...run, ...picked } as ToolContext<ToolNeed>;
}

/** A refusal the model should read (bad path, unknown agent, guard): its message is the result. */
export class ToolError extends Error {}
