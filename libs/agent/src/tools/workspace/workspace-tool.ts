import { z } from 'zod';
import type { ToolContext } from '../tool';

// What the workspace tools share: files in the agent's own directory (see workspace.ts for the rules).
export const WorkspacePath = z.string().min(1).max(1_000);
export const workspaceDirOf = (ctx: ToolContext<'workspace'>) => ctx.workspace.dirOf(ctx.job.ownerId, ctx.agent.id);
/** The most paths or lines glob and grep answer with (then `truncated`). */
export const MAX_MATCHES = 200;
