import { useState } from 'preact/hooks';
import type { CreateMcpServer, McpServer } from '@wiz/contracts';
import { api, useAsync } from '../api';
import { Action, Badge, Empty, ErrorNote, Field, Loading, Page, Time } from '../ui';

const BLANK = { transport: 'http' as 'http' | 'stdio', name: '', url: '', headers: '', command: '', args: '', env: '' };

/** `name=value` lines (blank lines skipped) → a map; a line without `=` is an error naming it. */
export function parsePairs(text: string, what: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const lines = text.split('\n').filter((l) => l.trim());
  for (const line of lines) {
    const at = line.indexOf('=');
    if (at < 1) throw new Error(`${what}: "${line.trim()}" is not name=value`);
    out[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  return lines.length ? out : undefined;
}

function toBody(f: typeof BLANK): CreateMcpServer {
  const name = f.name.trim();
  if (f.transport === 'http')
    return { name, transport: 'http', url: f.url.trim(), headers: parsePairs(f.headers, 'Headers') };
  const args = f.args.split('\n').filter((a) => a.trim());
  return {
    name,
    transport: 'stdio',
    command: f.command.trim(),
    args: args.length ? args : undefined,
    env: parsePairs(f.env, 'Environment'),
  };
}

// MCP servers: tool sources whose tools agents use as <server>__<tool>; header and environment
// values go in and never come out (only their names are listed).
export function McpServersPage() {
  const list = useAsync(() => api().mcpServers.list({ limit: 500 }), []);
  const [f, setF] = useState(BLANK);
  const [open, setOpen] = useState<string>();
  const set = (k: keyof typeof BLANK) => (e: { currentTarget: { value: string } }) =>
    setF({ ...f, [k]: e.currentTarget.value });
  return (
    <Page title="MCP servers">
      <form class="card form" onSubmit={(e) => e.preventDefault()}>
        <h2>Add an MCP server</h2>
        <div class="grid2">
          <Field label="Name" hint="prefixes its tools: github → github__create_issue">
            <input name="name" value={f.name} onInput={set('name')} placeholder="github" />
          </Field>
          <Field label="Transport" hint="stdio runs a program on the server, if the operator allows it">
            <select name="transport" value={f.transport} onChange={set('transport')}>
              <option value="http">http (streamable HTTP)</option>
              <option value="stdio">stdio (a local program)</option>
            </select>
          </Field>
          {f.transport === 'http' ? (
            <>
              <Field label="URL">
                <input name="url" value={f.url} onInput={set('url')} placeholder="https://mcp.example.com/mcp" />
              </Field>
              <Field label="Headers" hint="Name=value, one a line; stored encrypted, values never shown again">
                <textarea
                  name="headers"
                  rows={2}
                  value={f.headers}
                  onInput={set('headers')}
                  placeholder="Authorization=Bearer …"
                />
              </Field>
            </>
          ) : (
            <>
              <Field label="Command">
                <input name="command" value={f.command} onInput={set('command')} placeholder="npx" />
              </Field>
              <Field label="Arguments" hint="one a line">
                <textarea
                  name="args"
                  rows={2}
                  value={f.args}
                  onInput={set('args')}
                  placeholder={'-y\nsome-mcp-server'}
                />
              </Field>
              <Field label="Environment" hint="NAME=value, one a line; stored encrypted, values never shown again">
                <textarea name="env" rows={2} value={f.env} onInput={set('env')} placeholder="API_TOKEN=…" />
              </Field>
            </>
          )}
        </div>
        <Action
          class="primary"
          onRun={async () => {
            await api().mcpServers.create(toBody(f));
            setF({ ...BLANK, transport: f.transport });
            list.reload();
          }}
        >
          Add server
        </Action>
      </form>
      <ErrorNote error={list.error} onRetry={list.reload} />
      {!list.data && list.loading && <Loading what="MCP servers" />}
      {list.data?.items.length === 0 && (
        <Empty title="No MCP servers">
          No MCP servers yet. Add one to give your agents its tools as <code>&lt;server&gt;__&lt;tool&gt;</code> (allow
          them in the agent's tools list, e.g. <code>github__*</code>).
        </Empty>
      )}
      <ul class="list mcp-servers">
        {list.data?.items.map((s) => (
          <li key={s.id} data-server={s.name}>
            <span class="title">{s.name}</span>
            <Badge status={s.transport} />
            <span class="muted small">
              <Target server={s} /> · added <Time iso={s.createdAt} />
            </span>
            <button
              class="link"
              aria-expanded={open === s.id}
              onClick={() => setOpen(open === s.id ? undefined : s.id)}
            >
              {open === s.id ? 'Hide tools' : 'Tools'}
            </button>
            <Action
              class="link danger"
              confirm={`Delete ${s.name}? Agents lose its tools.`}
              onRun={async () => (await api().mcpServers.remove(s.id), list.reload())}
            >
              Delete
            </Action>
            {open === s.id && <Tools server={s} />}
          </li>
        ))}
      </ul>
    </Page>
  );
}

/** Where the server is and the names (never the values) of its secrets. */
function Target(props: { server: McpServer }) {
  const s = props.server;
  const secrets = s.transport === 'http' ? s.headerNames : s.envNames;
  return (
    <>
      <code>{s.transport === 'http' ? s.url : [s.command, ...s.args].join(' ')}</code>
      {secrets.length > 0 && (
        <>
          {' '}
          · {s.transport === 'http' ? 'headers' : 'env'} {secrets.join(', ')}
        </>
      )}
    </>
  );
}

/** The server's tools as agents see them, and whether it could be reached. */
function Tools(props: { server: McpServer }) {
  const t = useAsync(() => api().mcpServers.tools(props.server.id), [props.server.id]);
  return (
    <div class="mcp-tools" aria-live="polite">
      <ErrorNote error={t.error} onRetry={t.reload} />
      {!t.data && t.loading && <Loading what="tools" />}
      {t.data && (
        <>
          <span class="state">
            <Badge status={t.data.state} /> {t.data.error && <span class="muted small">{t.data.error}</span>}{' '}
            <button class="link" onClick={t.reload}>
              Refresh
            </button>
          </span>
          {t.data.state === 'connected' && t.data.tools.length === 0 && <p class="muted">It offers no tools.</p>}
          <ul>
            {t.data.tools.map((tool) => (
              <li key={tool.name}>
                <code>{tool.name}</code> {tool.description && <span class="muted">— {tool.description}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
