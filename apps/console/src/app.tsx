import { useEffect, useState } from 'preact/hooks';
import { WizApiError } from '@wiz/client';
import type { ConnectionState } from '@wiz/client';
import { api, hasStoredKey, messageOf, setApiKey } from './api';
import { Link, match, navigate, useLocation } from './router';
import { AgentEditPage } from './pages/agent-edit';
import { AgentPage } from './pages/agent';
import { AgentsPage } from './pages/agents';
import { ApprovalsPage } from './pages/approvals';
import { usePendingApprovals } from './hitl/pending';
import { ChatPage } from './pages/chat';
import { ConversationsPage } from './pages/conversations';
import { EventsPage } from './pages/events';
import { JobPage } from './pages/job';
import { JobsPage } from './pages/jobs';
import { KeysPage } from './pages/keys';
import { McpServersPage } from './pages/mcp-servers';
import { ProvidersPage } from './pages/providers';
import { SchedulesPage } from './pages/schedules';
import { Empty, Loading } from './ui';

const NAV: Array<{ href: string; label: string; key: string }> = [
  { href: '/agents', label: 'Agents', key: 'a' },
  { href: '/conversations', label: 'Conversations', key: 'c' },
  { href: '/jobs', label: 'Jobs', key: 'j' },
  { href: '/approvals', label: 'Approvals', key: 'i' },
  { href: '/schedules', label: 'Schedules', key: 's' },
  { href: '/providers', label: 'Providers', key: 'p' },
  { href: '/mcp-servers', label: 'MCP servers', key: 'm' },
  { href: '/keys', label: 'API keys', key: 'k' },
  { href: '/events', label: 'Events', key: 'e' },
];

const ROUTES: Array<[string, (p: Record<string, string>) => preact.JSX.Element]> = [
  ['/agents', () => <AgentsPage />],
  ['/agents/new', () => <AgentEditPage />],
  ['/agents/:id', (p) => <AgentPage id={p['id']!} />],
  ['/agents/:id/edit', (p) => <AgentEditPage id={p['id']!} />],
  ['/conversations', () => <ConversationsPage />],
  ['/conversations/:id', (p) => <ChatPage id={p['id']!} />],
  ['/jobs', () => <JobsPage />],
  ['/jobs/:id', (p) => <JobPage id={p['id']!} />],
  ['/approvals', () => <ApprovalsPage />],
  ['/schedules', () => <SchedulesPage />],
  ['/providers', () => <ProvidersPage />],
  ['/mcp-servers', () => <McpServersPage />],
  ['/keys', () => <KeysPage />],
  ['/events', () => <EventsPage />],
];

type Gate = 'checking' | 'ready' | 'login' | { error: unknown };

/**
 * Where to start: the page served by Wiz says whether API keys are required (`<meta name="wiz-auth">`).
 * Not required: open at once. Required and none stored: ask for one (no request that must fail).
 * Otherwise (a stored key, or a page from the Vite dev server) the key is checked first.
 */
function firstGate(): Gate {
  const auth = document.querySelector('meta[name="wiz-auth"]')?.getAttribute('content');
  if (auth === 'off') return 'ready';
  if (auth === 'on' && !hasStoredKey()) return 'login';
  return 'checking';
}

export function App() {
  const [gate, setGate] = useState<Gate>(firstGate);
  const check = () =>
    api()
      .agents.list({ limit: 1 })
      .then(
        () => setGate('ready'),
        (e: unknown) => setGate(e instanceof WizApiError && e.status === 401 ? 'login' : { error: e }),
      );
  useEffect(() => void (gate === 'checking' && check()), []);
  if (gate === 'checking') return <Loading what="Wiz" />;
  if (gate === 'login') return <Login onDone={() => setGate('ready')} />;
  if (gate !== 'ready')
    return (
      <main class="center">
        <Empty title="Wiz does not answer">
          <p>{messageOf(gate.error)}</p>
          <button
            onClick={() => {
              setGate('checking');
              void check();
            }}
          >
            Try again
          </button>
        </Empty>
      </main>
    );
  return <Shell onLogout={() => (setApiKey(undefined), setGate('login'))} />;
}

function Login(props: { onDone: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const signIn = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await setApiKey(key.trim()).agents.list({ limit: 1 });
      props.onDone();
    } catch (err) {
      setApiKey(undefined);
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="center">
      <form
        class="card login"
        onSubmit={(e) => {
          e.preventDefault();
          void signIn();
        }}
      >
        <h1>Wiz console</h1>
        <p>This server needs an API key. It is kept in this tab only (session storage).</p>
        <label class="field">
          <span class="label">API key</span>
          <input
            type="password"
            autoFocus
            autoComplete="off"
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
            placeholder="wiz_…"
          />
        </label>
        {error && (
          <div class="error" role="alert">
            {error}
          </div>
        )}
        <button class="primary" disabled={busy || !key.trim()}>
          Sign in
        </button>
        <p class="hint">
          No key? An admin creates one with <code>npm run keys -- create --owner &lt;you&gt;</code> or{' '}
          <code>wiz keys create</code>.
        </p>
      </form>
    </main>
  );
}

function Shell(props: { onLogout: () => void }) {
  const { path } = useLocation();
  const [menu, setMenu] = useState(false);
  const [conn, setConn] = useState<ConnectionState>(api().events.state);
  useEffect(() => api().events.onState(setConn), []);
  useEffect(() => {
    if (path === '/') navigate('/agents', true);
    setMenu(false);
  }, [path]);
  useGoShortcuts();
  let page: preact.JSX.Element | null = null;
  for (const [pattern, render] of ROUTES) {
    const params = match(pattern, path);
    if (params) {
      page = render(params);
      break;
    }
  }
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <nav class={menu ? 'side open' : 'side'} aria-label="Main">
        <div class="brand">
          <span class="logo" aria-hidden="true">
            W
          </span>{' '}
          Wiz
          <button class="menu-toggle" aria-expanded={menu} onClick={() => setMenu(!menu)}>
            Menu
          </button>
        </div>
        <ul>
          {NAV.map((n) => (
            <li key={n.href}>
              <Link href={n.href} class={path.startsWith(n.href) ? 'active' : ''} title={`g then ${n.key}`}>
                {n.label}
                {n.href === '/approvals' && <PendingBadge />}
              </Link>
            </li>
          ))}
        </ul>
        <div class="side-foot">
          <span class={`conn c-${conn}`} title="live events connection">
            {conn === 'open' ? 'live' : conn}
          </span>
          {hasStoredKey() && (
            <button class="link" onClick={props.onLogout}>
              Sign out
            </button>
          )}
        </div>
      </nav>
      <main id="main" tabIndex={-1}>
        {page ?? (
          <Empty title="Nothing here">
            <Link href="/agents">Go to the agents</Link>
          </Empty>
        )}
      </main>
    </div>
  );
}

/** How many approvals wait, beside "Approvals" in the navigation (nothing when none). */
function PendingBadge() {
  const n = usePendingApprovals().data?.items.length ?? 0;
  if (n === 0) return null;
  return (
    <span class="count" data-pending-count aria-label={`${n} waiting`}>
      {n}
    </span>
  );
}

// "g" then a letter jumps to a page (like GitHub); "/" focuses the page's search or filter box.
function useGoShortcuts(): void {
  useEffect(() => {
    let pending = false;
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.metaKey || e.ctrlKey || e.altKey || t.closest('input, textarea, select, [contenteditable]')) return;
      if (e.key === '/') {
        const box = document.querySelector<HTMLElement>('[data-search]');
        if (box) {
          e.preventDefault();
          box.focus();
        }
        return;
      }
      if (pending) {
        pending = false;
        const to = NAV.find((n) => n.key === e.key);
        if (to) navigate(to.href);
        return;
      }
      if (e.key === 'g') {
        pending = true;
        setTimeout(() => (pending = false), 1500);
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
}
