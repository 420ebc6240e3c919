import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { messageOf } from './api';

export function Page(props: { title: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren }) {
  return (
    <section class="page">
      <header class="page-head">
        <h1>{props.title}</h1>
        {props.actions && <div class="actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

export function Empty(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty" role="status">
      <strong>{props.title}</strong>
      {props.children && <div>{props.children}</div>}
    </div>
  );
}

export function ErrorNote(props: { error: unknown; onRetry?: () => void }) {
  if (!props.error) return null;
  return (
    <div class="error" role="alert">
      <span>{messageOf(props.error)}</span>
      {props.onRetry && (
        <button class="link" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Loading(props: { what?: string }) {
  return (
    <div class="loading" aria-busy="true">
      Loading{props.what ? ` ${props.what}` : ''}…
    </div>
  );
}

export function Badge(props: { status: string }) {
  return <span class={`badge s-${props.status}`}>{props.status}</span>;
}

export function Progress(props: { value: number }) {
  return (
    <span class="progress" role="progressbar" aria-valuenow={props.value} aria-valuemin={0} aria-valuemax={100}>
      <span style={{ width: `${props.value}%` }} />
    </span>
  );
}

const units: Array<[number, string]> = [
  [60, 's'],
  [60, 'min'],
  [24, 'h'],
  [365, 'd'],
];

export function ago(iso: string | null | undefined): string {
  if (!iso) return '—';
  let v = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  for (const [n, u] of units) {
    if (v < n) return `${Math.floor(v)} ${u} ago`;
    v /= n;
  }
  return `${Math.floor(v)} y ago`;
}

/** A relative time that stays current, with the exact time on hover. */
export function Time(props: { iso: string | null | undefined }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 15_000);
    return () => clearInterval(t);
  }, []);
  if (!props.iso) return <span>—</span>;
  return (
    <time dateTime={props.iso} title={new Date(props.iso).toLocaleString()}>
      {ago(props.iso)}
    </time>
  );
}

export function Field(props: { label: string; hint?: string; children: ComponentChildren }) {
  return (
    <label class="field">
      <span class="label">{props.label}</span>
      {props.children}
      {props.hint && <span class="hint">{props.hint}</span>}
    </label>
  );
}

export function Json(props: { value: unknown }) {
  const text = typeof props.value === 'string' ? props.value : JSON.stringify(props.value, null, 2);
  return <pre class="json">{text}</pre>;
}

/** A button that runs an async action, disables itself meanwhile and shows its error beside it. */
export function Action(props: {
  onRun: () => Promise<unknown>;
  children: ComponentChildren;
  class?: string;
  confirm?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async () => {
    if (props.confirm && !confirm(props.confirm)) return;
    setBusy(true);
    setError(undefined);
    try {
      await props.onRun();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="action-wrap">
      <button class={props.class} disabled={busy} onClick={() => void run()}>
        {props.children}
      </button>
      {error !== undefined && (
        <span class="inline-error" role="alert">
          {messageOf(error)}
        </span>
      )}
    </span>
  );
}
