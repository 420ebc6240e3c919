import { Job } from '@wiz/contracts';
import { JobEntity } from '@wiz/persistence';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toJob(e: JobEntity): Job {
  return {
    id: e.id,
    agentId: e.agentId,
    status: e.status,
    input: e.input,
    data: e.data,
    parentJobId: e.parentJobId,
    dependsOn: e.dependsOn,
    priority: e.priority,
    attempts: e.attempts,
    maxAttempts: e.maxAttempts,
    backoff: e.backoff,
    runAt: iso(e.runAt),
    timeoutMs: e.timeoutMs,
    ignoreDependencyFailures: e.ignoreDependencyFailures,
    idempotencyKey: e.idempotencyKey,
    conversationId: e.conversationId,
    attemptLog: e.attemptLog,
    progress: e.progress,
    result: e.result,
    failureReason: e.failureReason,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
    startedAt: iso(e.startedAt),
    finishedAt: iso(e.finishedAt),
  };
}
