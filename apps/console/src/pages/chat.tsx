import { useEffect, useRef, useState } from 'preact/hooks';
import type { Message } from '@wiz/contracts';
import { api, messageOf, useAsync, useTopic } from '../api';
import { CONSOLE_USER } from '../dm';
import { Link, navigate } from '../router';
import { Action, Empty, ErrorNote, Loading, Page, Time } from '../ui';
import { titleOf } from './conversations';

interface Draft {
  jobId: string;
  agentId?: string;
  text: string;
}

// A conversation as a chat: the history, then live messages; an agent's answer streams in token
// by token (live `agent.token` events of the job the message created), busy agents are shown,
// a failure comes as the agent's apology (a `system` message).
export function ChatPage(props: { id: string }) {
  const conv = useAsync(() => api().conversations.get(props.id), [props.id]);
  const [messages, setMessages] = useState<Message[]>([]);
  const [loaded, setLoaded] = useState<unknown>(null);
  const [drafts, setDrafts] = useState<Record<string, Draft>>({});
  const [busy, setBusy] = useState<Record<string, boolean>>({});
  const [text, setText] = useState('');
  const [sendError, setSendError] = useState<string>();
  const end = useRef<HTMLDivElement>(null);
  const upsert = (m: Message) =>
    setMessages((list) => {
      const i = list.findIndex((x) => x.id === m.id);
      if (i < 0) return [...list, m];
      const copy = [...list];
      copy[i] = m;
      return copy;
    });
  const topicError = useTopic(`conversation:${props.id}`, ({ event: e }) => {
    if (e.type === 'message.created' || e.type === 'message.updated' || e.type === 'message.deleted') {
      upsert(e.data.message);
      if (e.data.message.author.kind === 'agent')
        setDrafts((d) => {
          const copy = { ...d };
          for (const j of e.data.message.jobIds) delete copy[j];
          return copy;
        });
    } else if (e.type === 'agent.token' && e.jobId) {
      const jobId = e.jobId;
      setDrafts((d) => ({ ...d, [jobId]: { jobId, agentId: e.agentId, text: (d[jobId]?.text ?? '') + e.data.delta } }));
    } else if (e.type === 'agent.status' && e.agentId) {
      setBusy((b) => ({ ...b, [e.agentId!]: e.data.status === 'busy' }));
    } else if (e.type === 'conversation.deleted') {
      navigate('/conversations');
    } else if (e.type === 'agent.step' && e.jobId) {
      // A new model step starts a new stream (the plan or validation is not the answer).
      const jobId = e.jobId;
      setDrafts((d) => (d[jobId] ? { ...d, [jobId]: { ...d[jobId]!, text: '' } } : d));
    }
  });
  useEffect(() => {
    setMessages([]);
    setLoaded(null);
    api()
      .messages.list(props.id, { limit: 100 })
      .then(
        (page) => {
          setMessages((live) => [...page.items.reverse().filter((m) => !live.some((l) => l.id === m.id)), ...live]);
          setLoaded(true);
        },
        (e: unknown) => setLoaded(e),
      );
  }, [props.id]);
  useEffect(() => end.current?.scrollIntoView({ block: 'end' }), [messages, drafts]);
  if (!conv.data)
    return conv.error ? <ErrorNote error={conv.error} onRetry={conv.reload} /> : <Loading what="conversation" />;
  const agents = conv.data.participants.filter((p) => p.kind === 'agent');
  const nameOf = (id?: string) => agents.find((a) => a.id === id)?.name ?? 'agent';
  const send = async () => {
    const content = text.trim();
    if (!content) return;
    setSendError(undefined);
    try {
      upsert(await api().messages.post(props.id, { userId: CONSOLE_USER, content }));
      setText('');
    } catch (e) {
      setSendError(messageOf(e));
    }
  };
  const working = agents.filter((a) => busy[a.id]);
  return (
    <Page
      title={titleOf(conv.data)}
      actions={
        <>
          {agents.map((a) => (
            <Link key={a.id} href={`/agents/${a.id}`} class="button">
              {a.name}
            </Link>
          ))}
          <Action
            class="danger"
            confirm="Delete this conversation? Its messages go with it; its jobs stay."
            onRun={async () => (await api().conversations.remove(props.id), navigate('/conversations'))}
          >
            Delete
          </Action>
        </>
      }
    >
      <ErrorNote error={topicError} />
      <div class="chat" aria-live="polite">
        {loaded === null && <Loading what="messages" />}
        {loaded !== null && loaded !== true && <ErrorNote error={loaded} />}
        {loaded === true && messages.length === 0 && Object.keys(drafts).length === 0 && (
          <Empty title="Say hello">
            Your message becomes a job for {agents.map((a) => a.name).join(', ') || 'the agents here'}; the answer
            streams in below.
          </Empty>
        )}
        {messages.map((m) => (
          <Bubble key={m.id} m={m} />
        ))}
        {Object.values(drafts)
          .filter((d) => d.text)
          .map((d) => (
            <div key={d.jobId} class="bubble agent streaming" data-streaming={d.jobId}>
              <span class="who">{nameOf(d.agentId)}</span>
              <p>{d.text}</p>
            </div>
          ))}
        <div ref={end} />
      </div>
      {working.length > 0 && (
        <p class="typing" role="status">
          {working.map((a) => a.name).join(', ')} {working.length > 1 ? 'are' : 'is'} working…
        </p>
      )}
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <textarea
          aria-label="message"
          rows={2}
          value={text}
          placeholder="Write a message — Enter sends, Shift+Enter adds a line"
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey) {
              e.preventDefault();
              void send();
            }
          }}
        />
        <button class="primary" disabled={!text.trim()}>
          Send
        </button>
      </form>
      {sendError && (
        <div class="error" role="alert">
          {sendError}
        </div>
      )}
    </Page>
  );
}

function Bubble({ m }: { m: Message }) {
  const cls = m.role === 'system' ? 'bubble apology' : m.author.kind === 'user' ? 'bubble mine' : 'bubble agent';
  return (
    <div class={cls} data-message={m.id}>
      <span class="who">
        {m.author.kind === 'user' ? 'You' : (m.author.name ?? 'agent')} · <Time iso={m.createdAt} />
        {m.jobIds.length > 0 && (
          <>
            {' · '}
            <Link href={`/jobs/${m.jobIds[0]}`}>job</Link>
          </>
        )}
      </span>
      <p>{m.deletedAt ? <em>deleted</em> : m.content}</p>
    </div>
  );
}
