import { useState } from 'preact/hooks';
import { WizApiError } from '@wiz/client';
import type { Wait } from '@wiz/contracts';
import { api, messageOf } from '../api';
import { Link } from '../router';
import { Json, Time } from '../ui';
import { approvalDecided } from './pending';

type Mode = 'view' | 'reject' | 'edit';

/** What is wrong with an edit: the JSON's own error, or the server's issues (the tool's input schema). */
function problemsOf(e: unknown): string[] {
  if (e instanceof WizApiError && e.issues?.length)
    return e.issues.map((i) => (i.path ? `${i.path}: ` : '') + i.message);
  return [messageOf(e)];
}

// One gated tool call: who asks, what, why and until when; approve, reject with a comment, or
// run it with edited arguments (JSON, checked here and by the server against the tool's schema).
export function ApprovalCard(props: { wait: Wait; agentName?: string; showJob?: boolean; onDone: () => void }) {
  const w = props.wait;
  const [mode, setMode] = useState<Mode>('view');
  const [comment, setComment] = useState('');
  const [text, setText] = useState(() => JSON.stringify(w.arguments ?? {}, null, 2));
  const [problems, setProblems] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const decide = async (run: () => Promise<unknown>) => {
    setBusy(true);
    setProblems([]);
    try {
      await run();
      approvalDecided();
      props.onDone();
    } catch (e) {
      setProblems(problemsOf(e));
    } finally {
      setBusy(false);
    }
  };
  const submitEdit = () => {
    let args: unknown;
    try {
      args = JSON.parse(text);
    } catch (e) {
      return setProblems([`not valid JSON: ${messageOf(e)}`]);
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args))
      return setProblems(['the arguments are a JSON object: { "name": value, … }']);
    void decide(() => api().approvals.edit(w.id, args as Record<string, unknown>, comment.trim() || undefined));
  };
  const errId = `approval-${w.id}-problems`;
  return (
    <article class="card approval" data-approval={w.id} aria-label={`approval of ${w.tool}`}>
      <header class="row">
        <strong class="tool">{w.tool}</strong>
        <span class="muted small">
          {props.agentName ?? w.agentId.slice(0, 8)}
          {props.showJob !== false && (
            <>
              {' · '}
              <Link href={`/jobs/${w.jobId}`}>job {w.jobId.slice(0, 8)}</Link>
            </>
          )}
          {' · asked '}
          <Time iso={w.createdAt} />
          {' · '}
          {w.deadline ? (
            <>
              expires <time dateTime={w.deadline}>{new Date(w.deadline).toLocaleString()}</time> ({w.onTimeout} then)
            </>
          ) : (
            'no deadline'
          )}
        </span>
      </header>
      <p class="reason">{w.reason}</p>
      {mode === 'edit' ? (
        <label class="field">
          <span class="label">Arguments (JSON)</span>
          <textarea
            class="code"
            rows={Math.min(16, text.split('\n').length + 1)}
            value={text}
            aria-invalid={problems.length > 0}
            aria-describedby={errId}
            onInput={(e) => (setText(e.currentTarget.value), setProblems([]))}
          />
        </label>
      ) : (
        <Json value={w.arguments ?? {}} />
      )}
      {mode !== 'view' && (
        <label class="field">
          <span class="label">{mode === 'reject' ? 'Why (the agent reads this)' : 'Comment (optional)'}</span>
          <input value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
        </label>
      )}
      {problems.length > 0 && (
        <ul class="inline-error" id={errId} role="alert">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <div class="row">
        {mode === 'view' && (
          <>
            <button class="primary" disabled={busy} onClick={() => void decide(() => api().approvals.approve(w.id))}>
              Approve
            </button>
            <button disabled={busy} onClick={() => setMode('reject')}>
              Reject…
            </button>
            <button disabled={busy} onClick={() => setMode('edit')}>
              Edit arguments…
            </button>
          </>
        )}
        {mode === 'reject' && (
          <button
            class="danger"
            disabled={busy}
            onClick={() => void decide(() => api().approvals.reject(w.id, comment.trim() || undefined))}
          >
            Reject
          </button>
        )}
        {mode === 'edit' && (
          <button class="primary" disabled={busy} onClick={submitEdit}>
            Run with these arguments
          </button>
        )}
        {mode !== 'view' && (
          <button class="link" disabled={busy} onClick={() => (setMode('view'), setProblems([]))}>
            Back
          </button>
        )}
      </div>
    </article>
  );
}
