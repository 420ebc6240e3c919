import { useEffect, useState } from 'preact/hooks';
import type { Agent, CreateAgent, DoubleTexting, LoopSettings } from '@wiz/contracts';
import { DOUBLE_TEXTING_POLICIES } from '@wiz/contracts';
import { WizApiError } from '@wiz/client';
import { api, messageOf, useAsync } from '../api';
import { Link, navigate } from '../router';
import { ErrorNote, Field, Loading, Page } from '../ui';

interface Form {
  name: string;
  role: string;
  backstory: string;
  goal: string;
  systemPrompt: string;
  provider: string;
  model: string;
  temperature: string;
  tools: string;
  anyDelegate: boolean;
  delegates: string[];
  planning: boolean;
  maxSteps: string;
  maxTokens: string;
  maxIterations: string;
  doubleTexting: DoubleTexting;
  /** Tool name or glob → never | always | { when, timeoutSec, onTimeout }, as JSON. */
  approvals: string;
}

const fromAgent = (a?: Agent): Form => ({
  name: a?.name ?? '',
  role: a?.role ?? '',
  backstory: a?.backstory ?? '',
  goal: a?.goal ?? '',
  systemPrompt: a?.systemPrompt ?? '',
  provider: a?.model.provider ?? '',
  model: a?.model.model ?? '',
  temperature: a?.model.temperature?.toString() ?? '',
  tools: a?.tools?.join(', ') ?? '',
  anyDelegate: !a || a.delegates === null,
  delegates: a?.delegates ?? [],
  planning: a?.loop.planning ?? true,
  maxSteps: a?.loop.maxSteps?.toString() ?? '',
  maxTokens: a?.loop.maxTokens?.toString() ?? '',
  maxIterations: a?.loop.maxIterations?.toString() ?? '',
  doubleTexting: a?.doubleTexting ?? 'queue',
  approvals: a?.approvals ? JSON.stringify(a.approvals, null, 2) : '',
});

/** The policy box as JSON (empty: no policy), or a validation error at the field. */
function approvalsOf(text: string): CreateAgent['approvals'] {
  if (!text.trim()) return null;
  try {
    return JSON.parse(text) as CreateAgent['approvals'];
  } catch (e) {
    const message = `not valid JSON: ${messageOf(e)}`;
    throw new WizApiError(400, 'validation_failed', `approval policy: ${message}`, [{ path: 'approvals', message }]);
  }
}

const num = (s: string) => (s.trim() === '' ? undefined : Number(s));
const opt = (s: string) => (s.trim() === '' ? undefined : s.trim());

function toBody(f: Form): CreateAgent {
  const loop: LoopSettings = { planning: f.planning };
  if (num(f.maxSteps) !== undefined) loop.maxSteps = num(f.maxSteps);
  if (num(f.maxTokens) !== undefined) loop.maxTokens = num(f.maxTokens);
  if (num(f.maxIterations) !== undefined) loop.maxIterations = num(f.maxIterations);
  const tools = f.tools
    .split(/[,\s]+/)
    .map((t) => t.trim())
    .filter(Boolean);
  return {
    name: f.name.trim(),
    role: f.role.trim(),
    backstory: opt(f.backstory),
    goal: opt(f.goal),
    systemPrompt: opt(f.systemPrompt),
    model: { provider: opt(f.provider), model: opt(f.model), temperature: num(f.temperature) },
    loop,
    tools: tools.length ? tools : null,
    delegates: f.anyDelegate ? null : f.delegates,
    doubleTexting: f.doubleTexting,
    approvals: approvalsOf(f.approvals),
  };
}

// Create an agent (`/agents/new`) or edit one (`/agents/:id/edit`): persona, model, tools and
// delegates, loop budgets, what a second message does while the agent still answers.
export function AgentEditPage(props: { id?: string }) {
  const existing = useAsync(() => (props.id ? api().agents.get(props.id) : Promise.resolve(undefined)), [props.id]);
  const others = useAsync(() => api().agents.list({ limit: 500 }), []);
  const providers = useAsync(() => api().providers.list({ limit: 500 }), []);
  const [form, setForm] = useState<Form>(fromAgent());
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  useEffect(() => existing.data && setForm(fromAgent(existing.data)), [existing.data]);
  if (props.id && !existing.data) return existing.error ? <ErrorNote error={existing.error} /> : <Loading />;
  const set = <K extends keyof Form>(k: K, v: Form[K]) => setForm((f) => ({ ...f, [k]: v }));
  const text = (k: keyof Form) => ({
    value: form[k] as string,
    onInput: (e: { currentTarget: { value: string } }) => set(k, e.currentTarget.value as never),
  });
  const issues = error instanceof WizApiError ? (error.issues ?? []) : [];
  const issueOf = (field: string) => issues.find((i) => i.path === field || i.path.startsWith(`${field}.`))?.message;
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body = toBody(form);
      // On edit, an emptied text field clears it (null), rather than keeping the old value.
      const agent = props.id
        ? await api().agents.update(props.id, {
            ...body,
            backstory: body.backstory ?? null,
            goal: body.goal ?? null,
            systemPrompt: body.systemPrompt ?? null,
          })
        : await api().agents.create(body);
      navigate(`/agents/${agent.id}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const candidates = (others.data?.items ?? []).filter((a) => a.id !== props.id);
  return (
    <Page title={props.id ? `Edit ${existing.data?.name}` : 'New agent'}>
      <form class="form" onSubmit={(e) => void submit(e)} noValidate>
        <fieldset>
          <legend>Persona</legend>
          <Field label="Name" hint={issueOf('name')}>
            <input name="name" required autoFocus {...text('name')} placeholder="Ada" />
          </Field>
          <Field label="Role" hint={issueOf('role') ?? 'what the agent does, in a sentence'}>
            <input name="role" required {...text('role')} placeholder="a research assistant" />
          </Field>
          <Field label="Goal">
            <textarea name="goal" rows={2} {...text('goal')} />
          </Field>
          <Field label="Backstory">
            <textarea name="backstory" rows={3} {...text('backstory')} />
          </Field>
          <Field label="System prompt" hint="leave empty to derive it from the fields above">
            <textarea name="systemPrompt" rows={3} {...text('systemPrompt')} />
          </Field>
        </fieldset>
        <fieldset>
          <legend>Model</legend>
          <Field label="Provider">
            <select value={form.provider} onChange={(e) => set('provider', e.currentTarget.value)}>
              <option value="">the server's default endpoint</option>
              {(providers.data?.items ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({p.baseUrl})
                </option>
              ))}
            </select>
          </Field>
          <div class="grid2">
            <Field label="Model" hint="empty: the provider's or server's default">
              <input name="model" {...text('model')} placeholder="gpt-4o-mini" />
            </Field>
            <Field label="Temperature" hint={issueOf('model')}>
              <input name="temperature" type="number" step="0.1" min="0" max="2" {...text('temperature')} />
            </Field>
          </div>
        </fieldset>
        <fieldset>
          <legend>Tools and delegates</legend>
          <Field
            label="Allowed tools"
            hint={issueOf('tools') ?? 'comma separated, e.g. memory_save, delegate_to_agent; empty: the default set'}
          >
            <input name="tools" {...text('tools')} />
          </Field>
          <label class="check">
            <input
              type="checkbox"
              checked={form.anyDelegate}
              onChange={(e) => set('anyDelegate', e.currentTarget.checked)}
            />
            May delegate to any of my agents
          </label>
          {!form.anyDelegate && (
            <div class="checks">
              {candidates.length === 0 && <span class="muted">No other agents yet.</span>}
              {candidates.map((a) => (
                <label class="check" key={a.id}>
                  <input
                    type="checkbox"
                    checked={form.delegates.includes(a.name)}
                    onChange={(e) =>
                      set(
                        'delegates',
                        e.currentTarget.checked
                          ? [...form.delegates, a.name]
                          : form.delegates.filter((d) => d !== a.name),
                      )
                    }
                  />
                  {a.name}
                </label>
              ))}
            </div>
          )}
        </fieldset>
        <fieldset>
          <legend>Loop</legend>
          <label class="check">
            <input type="checkbox" checked={form.planning} onChange={(e) => set('planning', e.currentTarget.checked)} />
            Plan and validate its answers
          </label>
          <div class="grid3">
            <Field label="Max steps">
              <input type="number" min="1" {...text('maxSteps')} placeholder="server default" />
            </Field>
            <Field label="Max tokens">
              <input type="number" min="100" {...text('maxTokens')} placeholder="server default" />
            </Field>
            <Field label="Max iterations">
              <input type="number" min="1" max="20" {...text('maxIterations')} placeholder="server default" />
            </Field>
          </div>
          <Field label="A second message while it still answers">
            <select
              value={form.doubleTexting}
              onChange={(e) => set('doubleTexting', e.currentTarget.value as DoubleTexting)}
            >
              {DOUBLE_TEXTING_POLICIES.map((p) => (
                <option key={p} value={p}>
                  {p === 'queue' ? 'queue it' : p === 'reject' ? 'reject it (409)' : 'interrupt the answer'}
                </option>
              ))}
            </select>
          </Field>
        </fieldset>
        <fieldset>
          <legend>Approvals</legend>
          <Field
            label="Approval policy (JSON)"
            hint={
              issueOf('approvals') ??
              'tool name or glob → "never", "always" or { "when": [conditions], "timeoutSec": 600 }; empty: none (the owner default applies)'
            }
          >
            <textarea
              name="approvals"
              class="code"
              rows={4}
              {...text('approvals')}
              placeholder={'{ "write_file": "always", "github__*": "always" }'}
            />
          </Field>
        </fieldset>
        {error !== undefined && (
          <div class="error" role="alert">
            {messageOf(error)}
          </div>
        )}
        <div class="row">
          <button class="primary" disabled={busy}>
            {props.id ? 'Save' : 'Create agent'}
          </button>
          <Link href={props.id ? `/agents/${props.id}` : '/agents'} class="button">
            Cancel
          </Link>
        </div>
      </form>
    </Page>
  );
}
