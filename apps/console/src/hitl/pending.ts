import { api, useAsync, useThrottled, useTopic } from '../api';

/** The owner's pending approvals, refreshed live on approval.* events (and job endings that expire them). */
export function usePendingApprovals(jobId?: string) {
  const list = useAsync(() => api().approvals.list({ status: 'pending', jobId, limit: 200 }), [jobId]);
  const refresh = useThrottled(list.reload, 250);
  useTopic('owner', (e) => {
    const t = e.event.type;
    if (t.startsWith('approval.') || t === 'job.cancelled' || t === 'job.waiting-input') refresh();
  });
  return list;
}
