import { useState } from 'preact/hooks';
import type { Conversation } from '@wiz/contracts';
import { api, useAsync } from '../api';
import { CONSOLE_USER, openDm } from '../dm';
import { Link, navigate } from '../router';
import { Action, Empty, ErrorNote, Field, Loading, Page, Time } from '../ui';

export const titleOf = (c: Conversation): string =>
  c.kind === 'channel'
    ? `# ${c.name ?? 'channel'}`
    : (c.participants.find((p) => p.kind === 'agent')?.name ?? 'Direct message');

// DMs and channels; start a DM with an agent or a channel of a project.
export function ConversationsPage() {
  const list = useAsync(() => api().conversations.list({ limit: 500 }), []);
  const agents = useAsync(() => api().agents.list({ limit: 500 }), []);
  const [agentId, setAgentId] = useState('');
  const [channel, setChannel] = useState(false);
  const items = list.data?.items ?? [];
  return (
    <Page
      title="Conversations"
      actions={<button onClick={() => setChannel(!channel)}>{channel ? 'Close' : 'New channel'}</button>}
    >
      {channel && <NewChannel agents={agents.data?.items ?? []} />}
      <form class="inline-form" onSubmit={(e) => e.preventDefault()}>
        <select aria-label="agent to message" value={agentId} onChange={(e) => setAgentId(e.currentTarget.value)}>
          <option value="">Message an agent…</option>
          {agents.data?.items.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
        <Action
          class="primary"
          onRun={async () => {
            if (!agentId) throw new Error('choose an agent first');
            await openDm(agentId);
          }}
        >
          Open DM
        </Action>
      </form>
      <ErrorNote error={list.error} onRetry={list.reload} />
      {!list.data && list.loading && <Loading what="conversations" />}
      {list.data && items.length === 0 && (
        <Empty title="No conversations yet">
          {agents.data?.items.length ? (
            'Choose an agent above to send it a direct message, or start a channel with several agents.'
          ) : (
            <>
              Talk to an agent once you have one: <Link href="/agents/new">create an agent</Link>.
            </>
          )}
        </Empty>
      )}
      <ul class="list">
        {items.map((c) => (
          <li key={c.id}>
            <Link href={`/conversations/${c.id}`} class="title">
              {titleOf(c)}
            </Link>
            <span class="muted small">
              {c.kind === 'dm' ? 'direct message' : `${c.participants.length} participants`} ·{' '}
              <Time iso={c.updatedAt} />
            </span>
          </li>
        ))}
      </ul>
    </Page>
  );
}

function NewChannel(props: { agents: Array<{ id: string; name: string }> }) {
  const projects = useAsync(() => api().projects.list({ limit: 500 }), []);
  const [name, setName] = useState('');
  const [projectId, setProjectId] = useState('');
  const [projectName, setProjectName] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  return (
    <form class="card form" onSubmit={(e) => e.preventDefault()}>
      <h2>New channel</h2>
      <Field label="Channel name">
        <input value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="launch" />
      </Field>
      <Field label="Project" hint="channels belong to a project">
        <select value={projectId} onChange={(e) => setProjectId(e.currentTarget.value)}>
          <option value="">a new project…</option>
          {projects.data?.items.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </Field>
      {!projectId && (
        <Field label="New project name">
          <input value={projectName} onInput={(e) => setProjectName(e.currentTarget.value)} placeholder="Website" />
        </Field>
      )}
      <div class="checks">
        {props.agents.map((a) => (
          <label class="check" key={a.id}>
            <input
              type="checkbox"
              checked={chosen.includes(a.id)}
              onChange={(e) =>
                setChosen(e.currentTarget.checked ? [...chosen, a.id] : chosen.filter((x) => x !== a.id))
              }
            />
            {a.name}
          </label>
        ))}
      </div>
      <Action
        class="primary"
        onRun={async () => {
          const project = projectId || (await api().projects.create({ name: projectName.trim() || name.trim() })).id;
          const c = await api().conversations.create({
            kind: 'channel',
            projectId: project,
            name: name.trim(),
            agentIds: chosen,
            users: [{ userId: CONSOLE_USER, name: 'You' }],
          });
          navigate(`/conversations/${c.id}`);
        }}
      >
        Create channel
      </Action>
    </form>
  );
}
