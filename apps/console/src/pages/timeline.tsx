import type { AnyEvent } from '@wiz/client';
import { Json } from '../ui';

// A job's durable events as a readable log: phases and model steps, tool calls with their
// arguments and results, validation verdicts, progress and the end.
export function Timeline(props: { events: AnyEvent[] }) {
  return (
    <ol class="timeline">
      {props.events.map((e) => (
        <li key={e.id} class={`ev ev-${e.type.replace('.', '-')}`}>
          <span class="ev-time">{new Date(e.occurredAt).toLocaleTimeString()}</span>
          <div class="ev-body">
            <Line e={e} />
          </div>
        </li>
      ))}
    </ol>
  );
}

function Line({ e }: { e: AnyEvent }) {
  switch (e.type) {
    case 'job.created':
      return <span>Created ({e.data.status})</span>;
    case 'job.queued':
      return <span>Queued (from {e.data.from})</span>;
    case 'job.active':
      return <span>Attempt {e.data.attempt} started</span>;
    case 'job.progress':
      return <span>Progress {e.data.progress}%</span>;
    case 'job.retrying':
      return (
        <span>
          Attempt {e.data.attempt} failed ({e.data.error}); retrying in {Math.round(e.data.delayMs / 1000)} s
        </span>
      );
    case 'job.waiting-children':
      return <span>Waiting for {e.data.children} delegated job(s)</span>;
    case 'job.validation':
      return (
        <span class={e.data.passed ? 'pass' : 'fail'}>
          Validation {e.data.passed ? 'passed' : 'failed'}
          {e.data.feedback ? `: ${e.data.feedback}` : ''}
        </span>
      );
    case 'job.completed':
      return <strong class="pass">Completed</strong>;
    case 'job.failed':
      return <strong class="fail">Failed: {e.data.reason}</strong>;
    case 'job.cancelled':
      return <strong class="fail">Cancelled: {e.data.reason}</strong>;
    case 'agent.step':
      return (
        <span>
          <b>{e.data.phase}</b> step {e.data.step}
          {e.data.finishReason ? ` · ${e.data.finishReason}` : ''}
          {e.data.usage ? ` · ${(e.data.usage.inputTokens ?? 0) + (e.data.usage.outputTokens ?? 0)} tokens` : ''}
          {e.data.text && <span class="ev-text">{e.data.text.slice(0, 400)}</span>}
        </span>
      );
    case 'tool.called':
      return (
        <details>
          <summary>
            Called <code>{e.data.tool}</code>
          </summary>
          <Json value={e.data.args} />
        </details>
      );
    case 'tool.result':
      return (
        <details open={e.data.error !== undefined}>
          <summary class={e.data.error ? 'fail' : ''}>
            <code>{e.data.tool}</code> {e.data.error ? 'failed' : 'returned'}
          </summary>
          <Json value={e.data.error ?? e.data.result ?? null} />
        </details>
      );
    case 'agent.status':
      return <span class="muted">Agent {e.data.status}</span>;
    case 'memory.update':
      return <span>Remembered: {e.data.item.text}</span>;
    default:
      return <span>{e.type}</span>;
  }
}
