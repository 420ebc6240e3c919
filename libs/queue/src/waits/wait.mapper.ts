import type { Wait } from '@wiz/contracts';
import type { JobWaitEntity } from '@wiz/persistence';

/** The API view of a wait row (its tool's input schema stays inside). */
export const toWait = (e: JobWaitEntity): Wait => ({
  id: e.id,
  kind: e.kind,
  status: e.status,
  jobId: e.jobId,
  agentId: e.agentId,
  conversationId: e.conversationId,
  toolCallId: e.toolCallId,
  tool: e.tool,
  arguments: e.arguments,
  reason: e.reason,
  choices: e.choices,
  signal: e.signal,
  deadline: e.deadline?.toISOString() ?? null,
  onTimeout: e.onTimeout,
  resolution: e.resolution,
  createdAt: e.createdAt.toISOString(),
  resolvedAt: e.resolvedAt?.toISOString() ?? null,
});
