import { useEffect, useRef, useState } from 'preact/hooks';
import { Subscription, WizApiError, WizClient, WizEvent, WizEvents } from '@wiz/client';

const KEY = 'wiz.apiKey';

// The console's one client: same origin as the page; the API key (when the server wants one)
// lives in sessionStorage, so it is gone when the tab closes.
let currentKey = sessionStorage.getItem(KEY) ?? undefined;
let current = create(currentKey);

function create(apiKey?: string): WizClient {
  return new WizClient({ baseUrl: location.origin, apiKey });
}

/**
 * A WebSocket connection of its own, for a subscription that must not touch the shared ones: a
 * connection holds one subscription per topic, so a replay (`since`) or the Events page following
 * `owner` on the shared connection would replace the navigation's. Close it when done.
 */
export const ownEvents = (): WizEvents => new WizEvents({ baseUrl: location.origin, apiKey: currentKey });

export const api = (): WizClient => current;

export function setApiKey(key: string | undefined): WizClient {
  current.close();
  shared.clear();
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
  currentKey = key;
  current = create(key);
  return current;
}

export const hasStoredKey = (): boolean => sessionStorage.getItem(KEY) !== null;

export const messageOf = (e: unknown): string =>
  e instanceof WizApiError ? e.message : e instanceof Error ? e.message : String(e);

export interface Async<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
  set: (update: (d: T | undefined) => T | undefined) => void;
}

/** Loads `load()` when `deps` change; `reload()` fetches again without clearing what is shown. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const mine = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === latest.current && setState({ data, loading: false }),
      (error: unknown) => mine === latest.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, [...deps, tick]);
  return {
    ...state,
    reload: () => setTick((t) => t + 1),
    set: (update) => setState((s) => ({ ...s, data: update(s.data) })),
  };
}

interface Shared {
  sub: Subscription;
  listeners: Set<{ onEvent: (e: WizEvent) => void; onError: (message: string) => void }>;
}
// Live subscriptions (no `since`) are shared: the navigation's approvals badge and a page can both
// follow `owner` (the client keeps one subscription per topic).
const shared = new Map<string, Shared>();

function listen(topic: string, onEvent: (e: WizEvent) => void, onError: (message: string) => void): () => void {
  const client = api();
  let entry = shared.get(topic);
  if (!entry || !entry.sub.active) {
    const listeners: Shared['listeners'] = new Set();
    const sub = client.events.subscribe(topic, {
      onEvent: (e) => listeners.forEach((l) => l.onEvent(e)),
      onError: (e) => listeners.forEach((l) => l.onError(e.message)),
    });
    entry = { sub, listeners };
    shared.set(topic, entry);
  }
  const me = { onEvent, onError };
  const mine = entry;
  mine.listeners.add(me);
  return () => {
    mine.listeners.delete(me);
    if (mine.listeners.size > 0) return;
    mine.sub.close();
    if (shared.get(topic) === mine) shared.delete(topic);
  };
}

/** Follows a topic while the component is mounted; `onEvent` always sees the latest closure. */
export function useTopic(topic: string | null, onEvent: (e: WizEvent) => void, since?: number): string | undefined {
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (!topic) return;
    setError(undefined);
    if (since === undefined) return listen(topic, (e) => handler.current(e), setError);
    const events = ownEvents();
    events.subscribe(topic, {
      since,
      onEvent: (e) => handler.current(e),
      onError: (e) => setError(e.message),
    });
    return () => events.close();
  }, [topic, since]);
  return error;
}

/** Calls `fn` at most once per `ms` (trailing), for refreshes triggered by bursts of events. */
export function useThrottled(fn: () => void, ms = 300): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return () => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      latest.current();
    }, ms);
  };
}
