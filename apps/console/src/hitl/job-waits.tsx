import { useState } from 'preact/hooks';
import type { AnyEvent } from '@wiz/client';
import { api, messageOf } from '../api';
import { Action } from '../ui';
import { ApprovalCard } from './approval-card';
import { usePendingApprovals } from './pending';

interface Question {
  waitId: string;
  question: string;
  choices?: string[];
  deadline: string | null;
}

/** The job's questions (ask_human) still open, from its events: asked and not yet resolved. */
export function openQuestions(events: AnyEvent[]): Question[] {
  const resolved = new Set(events.flatMap((e) => (e.type === 'input.resolved' ? [e.data.waitId] : [])));
  return events.flatMap((e) =>
    e.type === 'input.requested' && e.data.kind === 'question' && !resolved.has(e.data.waitId)
      ? [{ waitId: e.data.waitId, question: e.data.question ?? '', choices: e.data.choices, deadline: e.data.deadline }]
      : [],
  );
}

// What a parked (`waiting-input`) job waits for: its approvals with their actions, its
// questions with an answer box (or the choices as buttons).
export function JobWaits(props: { jobId: string; events: AnyEvent[]; onDone: () => void }) {
  const approvals = usePendingApprovals(props.jobId);
  const questions = openQuestions(props.events);
  const items = approvals.data?.items ?? [];
  if (items.length === 0 && questions.length === 0) return null;
  return (
    <section class="waiting" aria-label="waiting for you">
      <h2>Waiting for you</h2>
      {items.map((w) => (
        <ApprovalCard key={w.id} wait={w} showJob={false} onDone={() => (approvals.reload(), props.onDone())} />
      ))}
      {questions.map((q) => (
        <QuestionCard key={q.waitId} jobId={props.jobId} q={q} onDone={props.onDone} />
      ))}
    </section>
  );
}

function QuestionCard(props: { jobId: string; q: Question; onDone: () => void }) {
  const [answer, setAnswer] = useState('');
  const [error, setError] = useState<string>();
  const send = async (text: string) => {
    setError(undefined);
    try {
      await api().jobs.input(props.jobId, { answer: text, waitId: props.q.waitId });
      setAnswer('');
      props.onDone();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <article class="card question" data-question={props.q.waitId}>
      <p>
        <strong>The agent asks:</strong> {props.q.question}
      </p>
      {props.q.choices?.length ? (
        <div class="choices" role="group" aria-label="answers">
          {props.q.choices.map((c) => (
            <Action key={c} onRun={() => send(c)}>
              {c}
            </Action>
          ))}
        </div>
      ) : (
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (answer.trim()) void send(answer.trim());
          }}
        >
          <input aria-label="your answer" value={answer} onInput={(e) => setAnswer(e.currentTarget.value)} />
          <button class="primary" disabled={!answer.trim()}>
            Answer
          </button>
        </form>
      )}
      {error && (
        <div class="inline-error" role="alert">
          {error}
        </div>
      )}
    </article>
  );
}

/** A person's message to a queued, running or parked job: the agent reads it at its next model step. */
export function SteerBox(props: { jobId: string }) {
  const [text, setText] = useState('');
  const [sent, setSent] = useState(false);
  return (
    <form class="card form steer" onSubmit={(e) => e.preventDefault()}>
      <label class="field">
        <span class="label">Steer this job</span>
        <textarea
          rows={2}
          value={text}
          placeholder="e.g. keep it under 100 words"
          onInput={(e) => (setText(e.currentTarget.value), setSent(false))}
        />
        <span class="hint">The agent reads your message at its next step.</span>
      </label>
      <div class="row">
        <Action
          onRun={async () => {
            if (!text.trim()) throw new Error('write a message first');
            await api().jobs.steer(props.jobId, text.trim());
            setText('');
            setSent(true);
          }}
        >
          Send to the agent
        </Action>
        {sent && (
          <span class="muted small" role="status">
            Sent.
          </span>
        )}
      </div>
    </form>
  );
}
