import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ToolSet } from 'ai';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { MessagesService } from '@wiz/conversations';
import { AgentDirectory } from './deps/agent-directory';
import { DelegationGuards } from './deps/delegation-guards';
import { JobDesk } from './deps/job-desk';
import { MemoryStore } from '@wiz/memory';
import type { AgentEntity } from '@wiz/persistence';
import { approvalNeeded, policyFor } from './human/approval-policy';
import { McpToolSource } from './mcp/mcp.tools';
import { inputJsonSchemaOf, runTool, toAiTools, toolsFor } from './registry';
import { contextFor, InputRequest, ParkRequest, RunPolicies, ToolDeps, ToolRunContext, WizTool } from './tool';
import { Workspace } from './workspace/workspace';
import { carryContext, context } from '@wiz/telemetry';

export type ToolRun = Omit<ToolRunContext, 'toolCallId' | 'park' | 'reserveChild' | 'waitFor'> & {
  parking: ParkRequest[];
  /** Waits on people or signals asked for in this step (the run parks in `waiting-input`). */
  inputs: InputRequest[];
  policies: RunPolicies;
  /** Child slots taken in the current step (reset after each step: the sub-jobs are then stored). */
  reserved: { count: number };
  /** Awaited before each call runs: the run's previous save has committed (see RunState.saved). */
  ready?: () => Promise<void>;
};

/** Never gated: the loop ends with it. */
const UNGATED = new Set(['finish']);

// The tools of a run, each handed the collaborators it declared (`needs`) and nothing else. Every
// call passes the approval gate first: a call its policy holds parks the job until a person decides.
@Injectable()
export class ToolBox {
  private readonly deps: ToolDeps;

  constructor(
    @Inject(WIZ_CONFIG) config: WizConfig,
    directory: AgentDirectory,
    guards: DelegationGuards,
    workspace: Workspace,
    memory: MemoryStore,
    messages: MessagesService,
    jobs: JobDesk,
    private readonly mcp: McpToolSource,
  ) {
    this.deps = { config, directory, guards, workspace, memory, messages, jobs };
  }

  /** The tools an agent may use: the built-in ones, and those of its owner's MCP servers. */
  async toolsFor(agent: AgentEntity): Promise<WizTool[]> {
    const builtIn = toolsFor(agent.tools ?? null);
    const mcp = await this.mcp.toolsFor(agent);
    const taken = new Set(builtIn.map((t) => t.name));
    return [...builtIn, ...mcp.filter((t) => !taken.has(t.name))];
  }

  toolSet(tools: readonly WizTool[], run: ToolRun): ToolSet {
    return toAiTools(
      tools,
      this.contextOf(run),
      (t, args, toolCallId) => this.gate(run, t, args, toolCallId),
      run.ready,
    );
  }

  /** Runs an approved call (its decision taken): no gate this time. */
  execute(t: WizTool, args: unknown, toolCallId: string, run: ToolRun): Promise<unknown> {
    return runTool(t, args, toolCallId, this.contextOf(run));
  }

  private contextOf(run: ToolRun) {
    const reserveChild = () => {
      const before = run.reserved.count++;
      let released = false;
      return { before, release: () => void (!released && ((released = true), run.reserved.count--)) };
    };
    return (toolCallId: string, tool: WizTool) =>
      contextFor(
        tool,
        {
          // What a tool may see of the run (not its bookkeeping: inputs, policies, slots, `ready`).
          job: run.job,
          agent: run.agent,
          state: run.state,
          signal: run.signal,
          progress: run.progress,
          parking: run.parking,
          toolCallId,
          // The tool call's span goes with the request: the child job's run is its child.
          park: (r) => (carryContext(r, context.active()), void run.parking.push(r)),
          waitFor: (r) => {
            const waitId = randomUUID();
            run.inputs.push({ ...r, waitId, toolCallId, tool: tool.name });
            return { waitId };
          },
          reserveChild,
        },
        this.deps,
      );
  }

  private gate(run: ToolRun, t: WizTool, args: unknown, toolCallId: string): unknown {
    if (UNGATED.has(t.name)) return undefined;
    const need = approvalNeeded(policyFor(t.name, run.policies.agent, run.policies.owner), args);
    if (!need) return undefined;
    const waitId = randomUUID();
    const deadline = need.timeoutSec ? new Date(Date.now() + need.timeoutSec * 1_000) : null;
    run.inputs.push({
      waitId,
      toolCallId,
      tool: t.name,
      kind: 'approval',
      arguments: (args ?? {}) as Record<string, unknown>,
      inputSchema: inputJsonSchemaOf(t),
      reason: need.reason,
      choices: null,
      signal: null,
      deadline,
      onTimeout: need.onTimeout,
    });
    return {
      status: 'waiting-approval',
      approvalId: waitId,
      reason: need.reason,
      ...(deadline && { deadline: deadline.toISOString() }),
    };
  }
}
