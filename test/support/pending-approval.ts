import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { JobWaitEntity } from '@wiz/persistence';

/**
 * Stores a pending approval of a `todo_write` call for `jobId` straight in the store (the
 * gateway-only worlds have no runtime to park a job); returns its id.
 */
export async function insertPendingApproval(
  db: DataSource,
  w: { ownerId: string; jobId: string; agentId: string; reason: string },
): Promise<string> {
  const id = randomUUID();
  await db.getRepository(JobWaitEntity).insert({
    id,
    ...w,
    conversationId: null,
    kind: 'approval',
    status: 'pending',
    toolCallId: 'call_1',
    tool: 'todo_write',
    arguments: { todos: [] },
    inputSchema: null,
    choices: null,
    signal: null,
    deadline: null,
    onTimeout: 'reject',
    resolution: null,
    createdAt: new Date(),
    resolvedAt: null,
  } as never);
  return id;
}
