import { useState } from 'preact/hooks';
import type { MemoryItem } from '@wiz/contracts';
import { api, useAsync, useTopic } from '../api';
import { openDm } from '../dm';
import { Link, navigate } from '../router';
import { Action, Badge, Empty, ErrorNote, Field, Loading, Page, Time } from '../ui';
import { JobTable } from './jobs';

// One agent: its profile, behavior rules (versioned), memory (searchable), its jobs; live status.
export function AgentPage(props: { id: string }) {
  const agent = useAsync(() => api().agents.get(props.id), [props.id]);
  const jobs = useAsync(() => api().jobs.list({ agentId: props.id, limit: 10 }), [props.id]);
  const topicError = useTopic(`agent:${props.id}`, (e) => {
    const ev = e.event;
    if (ev.type === 'agent.status') agent.set((a) => a && { ...a, status: ev.data.status });
    else if (ev.type.startsWith('agent.') && ev.type !== 'agent.step' && ev.type !== 'agent.token') agent.reload();
    if (ev.type.startsWith('job.') && !ev.type.startsWith('job.progress')) jobs.reload();
  });
  if (!agent.data)
    return agent.error ? <ErrorNote error={agent.error} onRetry={agent.reload} /> : <Loading what="agent" />;
  const a = agent.data;
  return (
    <Page
      title={
        <>
          {a.name} <Badge status={a.paused ? 'paused' : a.status} />
        </>
      }
      actions={
        <>
          <Action class="primary" onRun={() => openDm(a.id)}>
            Message
          </Action>
          <Link href={`/agents/${a.id}/edit`} class="button">
            Edit
          </Link>
          <Action
            onRun={async () => {
              const next = a.paused ? await api().agents.resume(a.id) : await api().agents.pause(a.id);
              agent.set(() => next);
            }}
          >
            {a.paused ? 'Resume' : 'Pause'}
          </Action>
          <Action
            class="danger"
            confirm={`Delete ${a.name}? Its jobs and memory go with it.`}
            onRun={async () => (await api().agents.remove(a.id), navigate('/agents'))}
          >
            Delete
          </Action>
        </>
      }
    >
      <ErrorNote error={topicError} />
      <p class="lead">{a.role}</p>
      <dl class="facts">
        <dt>Goal</dt>
        <dd>{a.goal ?? '—'}</dd>
        <dt>Model</dt>
        <dd>
          {a.model.model ?? 'default'}
          {a.model.temperature !== undefined ? ` · temperature ${a.model.temperature}` : ''}
        </dd>
        <dt>Tools</dt>
        <dd>{a.tools ? a.tools.join(', ') || 'none' : 'default set'}</dd>
        <dt>Delegates</dt>
        <dd>{a.delegates ? a.delegates.join(', ') || 'none' : 'any agent'}</dd>
        <dt>Loop</dt>
        <dd>
          {a.loop.planning === false ? 'no planning' : 'plans and validates'}
          {a.loop.maxSteps ? ` · ${a.loop.maxSteps} steps` : ''}
          {a.loop.maxIterations ? ` · ${a.loop.maxIterations} iterations` : ''}
        </dd>
        <dt>Second message</dt>
        <dd>{a.doubleTexting}</dd>
        <dt>Created</dt>
        <dd>
          <Time iso={a.createdAt} />
        </dd>
      </dl>
      <RunJob agentId={a.id} />
      <Behavior agentId={a.id} rules={a.behaviorRules} version={a.behaviorVersion} onChange={agent.reload} />
      <Memory agentId={a.id} />
      <section>
        <h2>Recent jobs</h2>
        <ErrorNote error={jobs.error} />
        {jobs.data && (
          <JobTable jobs={jobs.data.items} agents={[a]} empty="No jobs yet: run one above or send a message." />
        )}
        <Link href={`/jobs?agentId=${a.id}`}>All jobs of {a.name}</Link>
      </section>
    </Page>
  );
}

function RunJob(props: { agentId: string }) {
  const [input, setInput] = useState('');
  return (
    <section>
      <h2>Run a job</h2>
      <form class="inline-form" onSubmit={(e) => e.preventDefault()}>
        <textarea
          rows={2}
          value={input}
          onInput={(e) => setInput(e.currentTarget.value)}
          placeholder="What should it do?"
        />
        <Action
          class="primary"
          onRun={async () => {
            if (!input.trim()) throw new Error('write what the agent should do first');
            const job = await api().jobs.create({ agentId: props.agentId, input: input.trim() });
            navigate(`/jobs/${job.id}`);
          }}
        >
          Run
        </Action>
      </form>
    </section>
  );
}

function Behavior(props: { agentId: string; rules: string[]; version: number; onChange: () => void }) {
  const [rule, setRule] = useState('');
  return (
    <section>
      <h2>
        Behavior rules <span class="muted small">version {props.version}</span>
      </h2>
      {props.rules.length === 0 && (
        <p class="muted">No rules yet. Rules steer how the agent works, e.g. "answer in French".</p>
      )}
      <ul class="rules">
        {props.rules.map((r) => (
          <li key={r}>
            <span>{r}</span>
            <Action
              class="link"
              onRun={async () => {
                // The API adds at least one rule per change: keep one of the others while removing this one.
                const others = props.rules.filter((x) => x !== r);
                if (others.length === 0) throw new Error('the last rule stays until another one is added');
                await api().agents.adjustBehavior(props.agentId, { rules: [others[0]!], remove: [r] });
                props.onChange();
              }}
            >
              remove
            </Action>
          </li>
        ))}
      </ul>
      <form class="inline-form" onSubmit={(e) => e.preventDefault()}>
        <input
          value={rule}
          onInput={(e) => setRule(e.currentTarget.value)}
          placeholder="a new rule"
          aria-label="new rule"
        />
        <Action
          onRun={async () => {
            if (!rule.trim()) throw new Error('write the rule first');
            await api().agents.adjustBehavior(props.agentId, { rules: [rule.trim()] });
            setRule('');
            props.onChange();
          }}
        >
          Add rule
        </Action>
      </form>
    </section>
  );
}

function Memory(props: { agentId: string }) {
  const [query, setQuery] = useState('');
  const [asked, setAsked] = useState<string | undefined>(undefined);
  const items = useAsync<{ items: MemoryItem[] }>(
    () => api().memory.query({ agentId: props.agentId, query: asked, limit: 20 }),
    [props.agentId, asked],
  );
  return (
    <section>
      <h2>Long-term memory</h2>
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked(query.trim() || undefined);
        }}
      >
        <Field label="Search by meaning">
          <input
            type="search"
            data-search
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
            placeholder="what do you remember about…"
          />
        </Field>
        <button>Search</button>
      </form>
      <ErrorNote error={items.error} />
      {items.data && items.data.items.length === 0 && (
        <Empty title={asked ? 'Nothing matches' : 'Nothing remembered yet'}>
          The agent saves memories with its memory_save tool.
        </Empty>
      )}
      <ul class="memory">
        {items.data?.items.map((m) => (
          <li key={m.id}>
            <p>{m.text}</p>
            <span class="muted small">
              <Time iso={m.createdAt} />
              {m.score !== undefined ? ` · score ${m.score.toFixed(2)}` : ''}
              {Object.entries(m.metadata).map(([k, v]) => ` · ${k}: ${v}`)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
