import { Inject, Injectable } from '@nestjs/common';
import type { ToolSet } from 'ai';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { MessagesService } from '@wiz/conversations';
import { AgentDirectory } from './deps/agent-directory';
import { DelegationGuards } from './deps/delegation-guards';
import { JobDesk } from './deps/job-desk';
import { MemoryStore } from '@wiz/memory';
import type { AgentEntity } from '@wiz/persistence';
import { McpToolSource } from './mcp/mcp.tools';
import { toAiTools, toolsFor } from './registry';
import { contextFor, ParkRequest, ToolDeps, ToolRunContext, WizTool } from './tool';
import { Workspace } from './workspace/workspace';

export type ToolRun = Omit<ToolRunContext, 'toolCallId' | 'park' | 'reserveChild'> & {
  parking: ParkRequest[];
  /** Child slots taken in the current step (reset after each step: the sub-jobs are then stored). */
  reserved: { count: number };
};

// The tools of a run, each handed the collaborators it declared (`needs`) and nothing else.
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
    const reserveChild = () => {
      const before = run.reserved.count++;
      let released = false;
      return { before, release: () => void (!released && ((released = true), run.reserved.count--)) };
    };
    return toAiTools(tools, (toolCallId, tool) =>
      contextFor(tool, { ...run, toolCallId, park: (r) => void run.parking.push(r), reserveChild }, this.deps),
    );
  }
}
