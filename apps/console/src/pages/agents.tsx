import type { Agent } from '@wiz/contracts';
import { api, useAsync, useTopic } from '../api';
import { openDm } from '../dm';
import { Link, navigate } from '../router';
import { Action, Badge, Empty, ErrorNote, Loading, Page, Time } from '../ui';

// Every agent of the owner, with its status live (the `owner` topic carries agent.status).
export function AgentsPage() {
  const agents = useAsync(() => api().agents.list({ limit: 500 }), []);
  useTopic('owner', (e) => {
    const ev = e.event;
    if (ev.type === 'agent.status')
      agents.set(
        (p) => p && { ...p, items: p.items.map((a) => (a.id === ev.agentId ? { ...a, status: ev.data.status } : a)) },
      );
    else if (ev.type === 'agent.created' || ev.type === 'agent.updated' || ev.type === 'agent.deleted') agents.reload();
    else if (ev.type === 'agent.paused' || ev.type === 'agent.resumed') agents.reload();
  });
  const items = agents.data?.items ?? [];
  return (
    <Page
      title="Agents"
      actions={
        <button class="primary" onClick={() => navigate('/agents/new')}>
          New agent
        </button>
      }
    >
      <ErrorNote error={agents.error} onRetry={agents.reload} />
      {!agents.data && agents.loading && <Loading what="agents" />}
      {agents.data && items.length === 0 && (
        <Empty title="No agents yet">
          An agent is a persona with a role and tools that takes jobs and talks in conversations.{' '}
          <Link href="/agents/new">Create your first agent</Link>.
        </Empty>
      )}
      {items.length > 0 && (
        <ul class="cards" aria-label="agents">
          {items.map((a) => (
            <AgentCard key={a.id} agent={a} />
          ))}
        </ul>
      )}
    </Page>
  );
}

function AgentCard({ agent }: { agent: Agent }) {
  return (
    <li class="card agent-card" data-agent={agent.name}>
      <div class="row">
        <Link href={`/agents/${agent.id}`} class="title">
          {agent.name}
        </Link>
        <Badge status={agent.paused ? 'paused' : agent.status} />
      </div>
      <p class="muted clamp">{agent.role}</p>
      <div class="row small muted">
        <span>{agent.model.model ?? 'default model'}</span>
        <span>rules v{agent.behaviorVersion}</span>
        <span>
          updated <Time iso={agent.updatedAt} />
        </span>
      </div>
      <div class="row">
        <Action onRun={() => openDm(agent.id)}>Message</Action>
        <Link href={`/jobs?agentId=${agent.id}`} class="button">
          Jobs
        </Link>
      </div>
    </li>
  );
}
