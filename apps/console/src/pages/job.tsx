import { useState } from 'preact/hooks';
import type { AnyEvent } from '@wiz/client';
import { isTerminal } from '@wiz/contracts';
import { api, useAsync, useThrottled, useTopic } from '../api';
import { Link } from '../router';
import { Action, Badge, Empty, ErrorNote, Json, Loading, Page, Progress, Time } from '../ui';
import { JobWaits, SteerBox } from '../hitl/job-waits';
import { Timeline } from './timeline';

// One job, live: its plan and criteria, steps, tool calls, verdicts, progress, tokens, the
// delegation tree around it and the stored context. Replays the job's events from the start.
export function JobPage(props: { id: string }) {
  const job = useAsync(() => api().jobs.get(props.id), [props.id]);
  const context = useAsync(
    () =>
      api()
        .jobs.context(props.id)
        .catch(() => null),
    [props.id],
  );
  const agent = useAsync(
    () => (job.data ? api().agents.get(job.data.agentId) : Promise.resolve(null)),
    [job.data?.agentId],
  );
  const [events, setEvents] = useState<AnyEvent[]>([]);
  const [stream, setStream] = useState('');
  const refresh = useThrottled(() => (job.reload(), context.reload()), 400);
  const topicError = useTopic(
    `job:${props.id}`,
    (e) => {
      if (e.live) {
        if (e.event.type === 'agent.token') setStream((s) => s + (e.event.data as { delta: string }).delta);
        return;
      }
      setEvents((list) => [...list, e.event]);
      if (e.event.type === 'agent.step') setStream('');
      refresh();
    },
    0,
  );
  if (!job.data) return job.error ? <ErrorNote error={job.error} onRetry={job.reload} /> : <Loading what="job" />;
  const j = job.data;
  const c = context.data;
  const ended = isTerminal(j.status);
  return (
    <Page
      title={
        <>
          Job <Badge status={j.status} />
        </>
      }
      actions={<JobActions id={j.id} ended={ended} status={j.status} onDone={job.reload} />}
    >
      <ErrorNote error={topicError} />
      <dl class="facts">
        <dt>Agent</dt>
        <dd>{agent.data ? <Link href={`/agents/${agent.data.id}`}>{agent.data.name}</Link> : j.agentId}</dd>
        <dt>Progress</dt>
        <dd>
          <Progress value={j.progress} /> {j.progress}%
        </dd>
        <dt>Tokens</dt>
        <dd>
          {c?.tokens ?? j.result?.usage.totalTokens ?? 0} · {c?.steps ?? j.result?.steps ?? 0} model steps
        </dd>
        <dt>Attempts</dt>
        <dd>
          {j.attempts} of {j.maxAttempts}
        </dd>
        <dt>Created</dt>
        <dd>
          <Time iso={j.createdAt} />
        </dd>
        {j.conversationId && (
          <>
            <dt>Conversation</dt>
            <dd>
              <Link href={`/conversations/${j.conversationId}`}>open the conversation</Link>
            </dd>
          </>
        )}
      </dl>
      {j.status === 'waiting-input' && (
        <JobWaits jobId={j.id} events={events} onDone={() => (job.reload(), context.reload())} />
      )}
      {!ended && <SteerBox jobId={j.id} />}
      <section>
        <h2>Input</h2>
        <pre class="text">{j.input}</pre>
      </section>
      {(j.result || j.failureReason || stream) && (
        <section>
          <h2>{j.result ? 'Result' : j.failureReason ? 'Why it ended' : 'Answer so far'}</h2>
          {j.result && <pre class="text result">{j.result.text}</pre>}
          {j.failureReason && <div class="error">{j.failureReason}</div>}
          {!j.result && stream && (
            <pre class="text streaming" aria-live="polite">
              {stream}
            </pre>
          )}
        </section>
      )}
      <section>
        <h2>Plan</h2>
        {c?.plan ? (
          <div class="grid2">
            <div>
              <h3>Done when</h3>
              <ul class="criteria">
                {c.plan.validationCriteria.map((x) => (
                  <li key={x}>{x}</li>
                ))}
              </ul>
            </div>
            <div>
              <h3>Steps</h3>
              <ol>
                {c.plan.steps.map((x) => (
                  <li key={x}>{x}</li>
                ))}
              </ol>
            </div>
          </div>
        ) : (
          <p class="muted">{c?.planNote ?? (ended ? 'This job ran without a plan.' : 'No plan yet.')}</p>
        )}
        {c?.validationResult && (
          <p class={c.validationResult.passed ? 'verdict pass' : 'verdict fail'}>
            Validation {c.validationResult.passed ? 'passed' : 'failed'} (iteration {c.validationResult.iteration})
            {c.validationResult.feedback ? `: ${c.validationResult.feedback}` : ''}
          </p>
        )}
        {c?.todos && c.todos.length > 0 && (
          <ul class="todos">
            {c.todos.map((t) => (
              <li key={t.text} class={t.done ? 'done' : ''}>
                {t.done ? '☑' : '☐'} {t.text}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h2>Delegation</h2>
        {j.parentJobId && (
          <p>
            Delegated by <Link href={`/jobs/${j.parentJobId}`}>its parent job</Link>
          </p>
        )}
        <ChildTree parentId={j.id} depth={0} version={events.length} />
      </section>
      <section>
        <h2>Steps and tool calls</h2>
        {events.length === 0 ? <Empty title="No events yet" /> : <Timeline events={events} />}
      </section>
      <details>
        <summary>Context (as stored)</summary>
        {c ? <Json value={c} /> : <p class="muted">No context stored yet.</p>}
      </details>
    </Page>
  );
}

function JobActions(props: { id: string; ended: boolean; status: string; onDone: () => void }) {
  return (
    <div class="row">
      {!props.ended && (
        <Action class="danger" onRun={async () => (await api().jobs.cancel(props.id), props.onDone())}>
          Cancel job
        </Action>
      )}
      {(props.status === 'failed' || props.status === 'cancelled') && (
        <Action onRun={async () => (await api().jobs.retry(props.id), props.onDone())}>Retry</Action>
      )}
    </div>
  );
}

/** The jobs a job delegated to (and theirs), reloaded as the parent's events arrive. */
function ChildTree(props: { parentId: string; depth: number; version: number }) {
  const children = useAsync(
    () => api().jobs.list({ parentJobId: props.parentId, limit: 50 }),
    [props.parentId, props.version],
  );
  const agents = useAsync(() => api().agents.list({ limit: 500 }), []);
  const items = children.data?.items ?? [];
  if (items.length === 0) return props.depth === 0 ? <p class="muted">No delegated jobs.</p> : null;
  const name = (id: string) => agents.data?.items.find((a) => a.id === id)?.name ?? id.slice(0, 8);
  return (
    <ul class="tree">
      {items.map((c) => (
        <li key={c.id} data-child-job={c.id}>
          <Badge status={c.status} /> <strong>{name(c.agentId)}</strong> —{' '}
          <Link href={`/jobs/${c.id}`}>{c.input.split('\n')[0]}</Link>
          {props.depth < 4 && <ChildTree parentId={c.id} depth={props.depth + 1} version={props.version} />}
        </li>
      ))}
    </ul>
  );
}
