import { useState } from 'preact/hooks';
import { api, useAsync } from '../api';
import { Action, Empty, ErrorNote, Field, Loading, Page, Time } from '../ui';

// Model providers: OpenAI-compatible endpoints; their API keys go in and never come out.
export function ProvidersPage() {
  const list = useAsync(() => api().providers.list({ limit: 500 }), []);
  const [f, setF] = useState({ name: '', baseUrl: '', apiKey: '', defaultModel: '' });
  const set = (k: keyof typeof f) => (e: { currentTarget: { value: string } }) =>
    setF({ ...f, [k]: e.currentTarget.value });
  return (
    <Page title="Providers">
      <form class="card form" onSubmit={(e) => e.preventDefault()}>
        <h2>Add a provider</h2>
        <div class="grid2">
          <Field label="Name">
            <input value={f.name} onInput={set('name')} placeholder="OpenAI" />
          </Field>
          <Field label="Base URL" hint="any OpenAI-compatible endpoint">
            <input value={f.baseUrl} onInput={set('baseUrl')} placeholder="https://api.openai.com/v1" />
          </Field>
          <Field label="API key" hint="stored encrypted, never shown again">
            <input type="password" autoComplete="off" value={f.apiKey} onInput={set('apiKey')} />
          </Field>
          <Field label="Default model">
            <input value={f.defaultModel} onInput={set('defaultModel')} placeholder="gpt-4o-mini" />
          </Field>
        </div>
        <Action
          class="primary"
          onRun={async () => {
            await api().providers.create({
              name: f.name.trim(),
              baseUrl: f.baseUrl.trim(),
              apiKey: f.apiKey,
              defaultModel: f.defaultModel.trim() || undefined,
            });
            setF({ name: '', baseUrl: '', apiKey: '', defaultModel: '' });
            list.reload();
          }}
        >
          Add provider
        </Action>
      </form>
      <ErrorNote error={list.error} onRetry={list.reload} />
      {!list.data && list.loading && <Loading what="providers" />}
      {list.data?.items.length === 0 && (
        <Empty title="No providers">
          Agents use the server's default endpoint until you add one here and pick it on an agent.
        </Empty>
      )}
      <ul class="list">
        {list.data?.items.map((p) => (
          <li key={p.id}>
            <span class="title">{p.name}</span>
            <span class="muted small">
              {p.baseUrl} · {p.defaultModel ?? 'no default model'} · key {p.hasApiKey ? 'set' : 'missing'} · added{' '}
              <Time iso={p.createdAt} />
            </span>
            <Action
              class="link danger"
              confirm={`Delete ${p.name}?`}
              onRun={async () => (await api().providers.remove(p.id), list.reload())}
            >
              Delete
            </Action>
          </li>
        ))}
      </ul>
    </Page>
  );
}
