import { useState } from 'preact/hooks';
import { MISSED_RUN_POLICIES } from '@wiz/contracts';
import type { MissedRunPolicy } from '@wiz/contracts';
import { api, useAsync } from '../api';
import { Link } from '../router';
import { Action, Empty, ErrorNote, Field, Loading, Page, Time } from '../ui';

// Cron schedules: each tick gives an agent a job.
export function SchedulesPage() {
  const list = useAsync(() => api().schedules.list({ limit: 500 }), []);
  const agents = useAsync(() => api().agents.list({ limit: 500 }), []);
  const [f, setF] = useState({
    name: '',
    agentId: '',
    cron: '0 9 * * 1-5',
    timezone: 'UTC',
    input: '',
    missed: 'skip',
  });
  const set = (k: keyof typeof f) => (e: { currentTarget: { value: string } }) =>
    setF({ ...f, [k]: e.currentTarget.value });
  const name = (id: string) => agents.data?.items.find((a) => a.id === id)?.name ?? id.slice(0, 8);
  return (
    <Page title="Schedules">
      <form class="card form" onSubmit={(e) => e.preventDefault()}>
        <h2>New schedule</h2>
        <div class="grid2">
          <Field label="Agent">
            <select value={f.agentId} onChange={set('agentId')}>
              <option value="">choose an agent…</option>
              {agents.data?.items.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Name">
            <input value={f.name} onInput={set('name')} placeholder="morning digest" />
          </Field>
          <Field label="Cron" hint="minute hour day month weekday, or @daily">
            <input value={f.cron} onInput={set('cron')} />
          </Field>
          <Field label="Time zone">
            <input value={f.timezone} onInput={set('timezone')} />
          </Field>
        </div>
        <Field label="Job input">
          <textarea rows={2} value={f.input} onInput={set('input')} placeholder="Summarise yesterday's activity" />
        </Field>
        <Field label="Missed runs (while no runtime was up)">
          <select value={f.missed} onChange={set('missed')}>
            {MISSED_RUN_POLICIES.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </Field>
        <Action
          class="primary"
          onRun={async () => {
            if (!f.agentId) throw new Error('choose an agent first');
            await api().schedules.create({
              name: f.name.trim() || undefined,
              cron: f.cron.trim(),
              timezone: f.timezone.trim() || 'UTC',
              missedRunPolicy: f.missed as MissedRunPolicy,
              template: { agentId: f.agentId, input: f.input.trim() },
            });
            setF({ ...f, name: '', input: '' });
            list.reload();
          }}
        >
          Create schedule
        </Action>
      </form>
      <ErrorNote error={list.error} onRetry={list.reload} />
      {!list.data && list.loading && <Loading what="schedules" />}
      {list.data?.items.length === 0 && (
        <Empty title="No schedules">
          A schedule gives an agent a job at every tick of a cron expression. Create one above.
        </Empty>
      )}
      <ul class="list">
        {list.data?.items.map((s) => (
          <li key={s.id}>
            <span class="title">{s.name ?? s.cron}</span>
            <span class="muted small">
              <code>{s.cron}</code> ({s.timezone}) ·{' '}
              <Link href={`/agents/${s.template.agentId}`}>{name(s.template.agentId)}</Link> · next{' '}
              {s.nextRunAt ? new Date(s.nextRunAt).toLocaleString() : 'never'} · last <Time iso={s.lastRunAt} />
            </span>
            <Action
              class="link danger"
              confirm="Delete this schedule?"
              onRun={async () => (await api().schedules.remove(s.id), list.reload())}
            >
              Delete
            </Action>
          </li>
        ))}
      </ul>
    </Page>
  );
}
