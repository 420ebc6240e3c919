import type { Agent, Job, JobStatus } from '@wiz/contracts';
import { JOB_STATUSES } from '@wiz/contracts';
import { api, useAsync, useThrottled, useTopic } from '../api';
import { Link, navigate, useLocation } from '../router';
import { Badge, Empty, ErrorNote, Loading, Page, Progress, Time } from '../ui';

const PAGE = 50;

// Every job of the owner, filtered by status and agent (in the URL), with counts; live.
export function JobsPage() {
  const { query } = useLocation();
  const status = (query.get('status') ?? '') as JobStatus | '';
  const agentId = query.get('agentId') ?? '';
  const limit = Number(query.get('limit') ?? PAGE);
  const jobs = useAsync(
    () => api().jobs.list({ status: status || undefined, agentId: agentId || undefined, limit }),
    [status, agentId, limit],
  );
  const counts = useAsync(() => api().jobs.counts(agentId || undefined), [agentId]);
  const agents = useAsync(() => api().agents.list({ limit: 500 }), []);
  const refresh = useThrottled(() => (jobs.reload(), counts.reload()), 500);
  useTopic('owner', (e) => e.event.type.startsWith('job.') && refresh());
  const go = (next: Record<string, string>) => {
    const q = new URLSearchParams({ ...(status && { status }), ...(agentId && { agentId }), ...next });
    for (const [k, v] of [...q]) if (!v) q.delete(k);
    navigate(`/jobs${q.size ? `?${q}` : ''}`, true);
  };
  const total = counts.data ? Object.values(counts.data).reduce((a, b) => a + b, 0) : undefined;
  return (
    <Page title="Jobs">
      <div class="filters" role="toolbar" aria-label="filter by status">
        <button
          class={status === '' ? 'chip on' : 'chip'}
          aria-pressed={status === ''}
          onClick={() => go({ status: '' })}
        >
          all {total !== undefined && <span class="count">{total}</span>}
        </button>
        {JOB_STATUSES.map((s) => (
          <button
            key={s}
            class={status === s ? 'chip on' : 'chip'}
            aria-pressed={status === s}
            onClick={() => go({ status: s })}
          >
            {s} {counts.data && <span class="count">{counts.data[s]}</span>}
          </button>
        ))}
        <select aria-label="agent" data-search value={agentId} onChange={(e) => go({ agentId: e.currentTarget.value })}>
          <option value="">every agent</option>
          {agents.data?.items.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </div>
      <ErrorNote error={jobs.error} onRetry={jobs.reload} />
      {!jobs.data && jobs.loading && <Loading what="jobs" />}
      {jobs.data && (
        <JobTable
          jobs={jobs.data.items}
          agents={agents.data?.items ?? []}
          empty={
            status || agentId
              ? 'No job matches these filters.'
              : 'No jobs yet. Run one from an agent page, message an agent, or `wiz run --agent <name> "…"`.'
          }
        />
      )}
      {jobs.data && jobs.data.total > jobs.data.items.length && (
        <button onClick={() => go({ limit: String(limit + PAGE) })}>
          Show more ({jobs.data.total - jobs.data.items.length} left)
        </button>
      )}
    </Page>
  );
}

export function JobTable(props: { jobs: Job[]; agents: Agent[]; empty: string }) {
  if (props.jobs.length === 0) return <Empty title="Nothing here">{props.empty}</Empty>;
  const name = (id: string) => props.agents.find((a) => a.id === id)?.name ?? id.slice(0, 8);
  return (
    <div class="table-wrap">
      <table class="jobs">
        <thead>
          <tr>
            <th>Status</th>
            <th>Input</th>
            <th>Agent</th>
            <th class="hide-sm">Progress</th>
            <th class="hide-sm">Created</th>
          </tr>
        </thead>
        <tbody>
          {props.jobs.map((j) => (
            <tr key={j.id} data-job={j.id}>
              <td>
                <Badge status={j.status} />
              </td>
              <td class="clip">
                <Link href={`/jobs/${j.id}`}>{j.input.split('\n')[0] || j.id}</Link>
                {j.parentJobId && <span class="muted small"> · delegated</span>}
              </td>
              <td>
                <Link href={`/agents/${j.agentId}`}>{name(j.agentId)}</Link>
              </td>
              <td class="hide-sm">
                <Progress value={j.progress} />
              </td>
              <td class="hide-sm">
                <Time iso={j.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
