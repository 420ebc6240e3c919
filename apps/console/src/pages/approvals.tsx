import { api, useAsync } from '../api';
import { ApprovalCard } from '../hitl/approval-card';
import { usePendingApprovals } from '../hitl/pending';
import { Empty, ErrorNote, Loading, Page } from '../ui';

// The approvals inbox: tool calls that wait for a person, live.
export function ApprovalsPage() {
  const list = usePendingApprovals();
  const items = list.data?.items ?? [];
  // Reloaded when a request comes from an agent made since: every card shows its agent's name.
  const agentIds = [...new Set(items.map((w) => w.agentId))].sort().join();
  const agents = useAsync(() => api().agents.list({ limit: 500 }), [agentIds]);
  const name = (id: string) => agents.data?.items.find((a) => a.id === id)?.name;
  return (
    <Page title="Approvals">
      <ErrorNote error={list.error} onRetry={list.reload} />
      {!list.data && list.loading && <Loading what="approvals" />}
      {list.data && items.length === 0 && (
        <Empty title="No approvals waiting.">Set an approval policy on an agent to gate its tools.</Empty>
      )}
      <div class="approvals">
        {items.map((w) => (
          <ApprovalCard key={w.id} wait={w} agentName={name(w.agentId)} onDone={list.reload} />
        ))}
      </div>
    </Page>
  );
}
