import { useState } from 'preact/hooks';
import type { CreatedApiKey } from '@wiz/contracts';
import { api, useAsync } from '../api';
import { Action, Badge, Empty, ErrorNote, Field, Loading, Page, Time } from '../ui';

// API keys of the owner: create (shown once), list, revoke.
export function KeysPage() {
  const list = useAsync(() => api().keys.list(), []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedApiKey>();
  return (
    <Page title="API keys">
      <form class="card form" onSubmit={(e) => e.preventDefault()}>
        <h2>Create a key</h2>
        <Field label="Name" hint="what the key is for, e.g. ci or laptop">
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Action
          class="primary"
          onRun={async () => {
            setCreated(await api().keys.create({ name: name.trim() || undefined }));
            setName('');
            list.reload();
          }}
        >
          Create key
        </Action>
        {created && (
          <div class="notice" role="status">
            Copy this key now: it is not shown again.
            <code class="secret" data-created-key>
              {created.key}
            </code>
          </div>
        )}
      </form>
      <ErrorNote error={list.error} onRetry={list.reload} />
      {!list.data && list.loading && <Loading what="keys" />}
      {list.data?.items.length === 0 && (
        <Empty title="No keys">Create a key for each client or person that calls Wiz.</Empty>
      )}
      <ul class="list">
        {list.data?.items.map((k) => (
          <li key={k.id}>
            <span class="title">{k.name ?? 'unnamed key'}</span>
            <span class="muted small">
              <code>{k.prefix}…</code> · {k.ownerId} {k.admin && <Badge status="admin" />} · created{' '}
              <Time iso={k.createdAt} />
            </span>
            {k.revokedAt ? (
              <Badge status="revoked" />
            ) : (
              <Action
                class="link danger"
                confirm="Revoke this key? Clients using it stop working."
                onRun={async () => (await api().keys.revoke(k.id), list.reload())}
              >
                Revoke
              </Action>
            )}
          </li>
        ))}
      </ul>
    </Page>
  );
}
