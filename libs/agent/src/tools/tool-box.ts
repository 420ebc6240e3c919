import { Inject, Injectable } from '@nestjs/common';
import type { ToolSet } from 'ai';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { MessagesService } from '@wiz/conversations';
import { AgentDirectory } from './deps/agent-directory';
import { DelegationGuards } from './deps/delegation-guards';
import { JobDesk } from './deps/job-desk';
import { MemoryStore } from '@wiz/memory';
import { toAiTools } from './registry';
import { contextFor, ParkRequest, ToolDeps, ToolRunContext, WizTool } from './tool';
import { Workspace } from './workspace/workspace';
import { carryContext, context } from '@wiz/telemetry';

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
  ) {
    this.deps = { config, directory, guards, workspace, memory, messages, jobs };
  }

  toolSet(tools: readonly WizTool[], run: ToolRun): ToolSet {
    const reserveChild = () => {
      const before = run.reserved.count++;
      let released = false;
      return { before, release: () => void (!released && ((released = true), run.reserved.count--)) };
    };
    return toAiTools(tools, (toolCallId, tool) =>
      contextFor(
        tool,
        {
          ...run,
          toolCallId,
          park: (r) => (carryContext(r, context.active()), void run.parking.push(r)),
          reserveChild,
        },
        this.deps,
      ),
    );
  }
}
