import { useEffect } from 'preact/hooks';
import { api, useAsync, useThrottled, useTopic } from '../api';

// A decision taken in this tab: every list (inbox, badge, job page) reloads at once, without
// waiting for the event to come back.
const decided = new EventTarget();
export const approvalDecided = (): void => void decided.dispatchEvent(new Event('decided'));

/** The owner's pending approvals, refreshed live on approval.* events (and job endings that expire them). */
export function usePendingApprovals(jobId?: string) {
  const list = useAsync(() => api().approvals.list({ status: 'pending', jobId, limit: 200 }), [jobId]);
  const refresh = useThrottled(list.reload, 250);
  useTopic('owner', (e) => {
    const t = e.event.type;
    if (t.startsWith('approval.') || t === 'job.cancelled' || t === 'job.waiting-input') refresh();
  });
  useEffect(() => {
    decided.addEventListener('decided', refresh);
    return () => decided.removeEventListener('decided', refresh);
  }, []);
  return list;
}
