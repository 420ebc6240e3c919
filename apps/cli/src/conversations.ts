import { Command } from 'commander';
import type { Conversation, Message } from '@wiz/contracts';
import type { WizClient } from '@wiz/client';
import { CLI_USER, ctx, findAgent, removeCommand } from './context';
import { clip, csv, print, table } from './output';

const who = (c: Conversation) => c.participants.map((p) => p.name ?? p.id).join(', ');
const line = (m: Message) =>
  `${m.createdAt.slice(0, 19).replace('T', ' ')}  ${m.author.name ?? m.author.id}: ${
    m.deletedAt ? '(deleted)' : m.role === 'system' ? `(!) ${m.content}` : m.content
  }`;

// Projects and their channels, DMs, and their messages, as people type them.
export function projectCommands(program: Command): void {
  const projects = program.command('projects').description('list, create and delete projects (they hold channels)');
  projects
    .command('ls')
    .description('list projects')
    .action(async (_o, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const page = await client.projects.list({ limit: 500 });
      print(json, page.items, () =>
        table(
          page.items.map((p) => ({ name: p.name, id: p.id, description: clip(p.description ?? '', 50) })),
          'No projects yet: wiz projects create --name "Launch"',
        ),
      );
    });
  projects
    .command('create')
    .description('create a project')
    .requiredOption('--name <name>', 'its name')
    .option('--description <text>', 'what it is for')
    .action(async (o: { name: string; description?: string }, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const p = await client.projects.create({ name: o.name, description: o.description });
      print(json, p, () => `Created ${p.name} (${p.id})`);
    });
  removeCommand(projects, 'project', 'delete a project (refused while it has channels)', (c, id) =>
    c.projects.remove(id),
  );
}

interface ListOptions {
  project?: string;
  kind?: string;
  agent?: string;
  user?: string;
  limit: number;
}

export function conversationCommands(program: Command): void {
  const conversations = program
    .command('conversations')
    .alias('conv')
    .description('list, show, create and delete DMs and channels; post to them');
  conversations
    .command('ls')
    .description('list conversations, oldest first (the options combine)')
    .option('--project <id>', "only this project's channels")
    .option('--kind <kind>', 'only DMs (dm) or only channels (channel)')
    .option('--agent <name|id>', 'only those this agent takes part in')
    .option('--user <id>', 'only those this person takes part in')
    .option('--limit <n>', 'how many', (v) => parseInt(v, 10), 50)
    .action(async (o: ListOptions, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const agentId = o.agent === undefined ? undefined : (await findAgent(client, o.agent)).id;
      const page = await client.conversations.list({
        projectId: o.project,
        kind: o.kind as 'dm' | 'channel' | undefined,
        agentId,
        userId: o.user,
        limit: o.limit,
      });
      print(
        json,
        page,
        () =>
          table(
            page.items.map((c) => ({
              id: c.id,
              kind: c.kind,
              name: c.name ?? '',
              participants: clip(who(c), 50),
            })),
            'No conversations: wiz chat <agent> starts a DM; wiz conversations create makes a channel',
          ) + (page.total > page.items.length ? `\n(${page.total - page.items.length} more: --limit)` : ''),
      );
    });
  conversations
    .command('show <id>')
    .description('show a conversation and its latest messages, oldest first')
    .option('--limit <n>', 'how many messages', (v) => parseInt(v, 10), 20)
    .action(async (id: string, o: { limit: number }, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const [c, messages] = await Promise.all([
        client.conversations.get(id),
        client.messages.list(id, { limit: o.limit }),
      ]);
      const oldestFirst = [...messages.items].reverse();
      print(json, { ...c, messages: oldestFirst }, () =>
        [
          `${c.kind === 'channel' ? `#${c.name}` : 'DM'}  ${c.id}${c.projectId ? `  (project ${c.projectId})` : ''}`,
          `with: ${who(c)}`,
          ...(messages.nextCursor ? ['… older messages: --limit'] : []),
          ...(oldestFirst.length ? oldestFirst.map(line) : ['No messages yet.']),
        ].join('\n'),
      );
    });
  conversations
    .command('create')
    .description('open a DM with an agent (--agent), or a channel in a project (--project and --name)')
    .option('--agent <agent>', 'DM: the agent (name or id)')
    .option('--project <id>', 'channel: its project')
    .option('--name <name>', 'channel: its name')
    .option('--agents <names>', 'channel: agents in it, comma separated (names or ids)')
    .option('--users <ids>', `channel: people in it, comma separated (default: ${CLI_USER})`)
    .option('--user <id>', `DM: the person (default: ${CLI_USER})`, CLI_USER)
    .action(
      async (
        o: { agent?: string; project?: string; name?: string; agents?: string; users?: string; user: string },
        cmd: Command,
      ) => {
        const { client, json } = ctx(cmd);
        const c = await create(client, o);
        print(json, c, () => `Created ${c.kind === 'channel' ? `#${c.name}` : 'DM'} (${c.id}) with ${who(c)}`);
      },
    );
  conversations
    .command('post <id> <text>')
    .description(
      "post a message as a person; each agent it reaches (a DM's, or those a channel message @mentions) gets a job",
    )
    .option('--user <id>', 'the person it is from (a participant)', CLI_USER)
    .option('--wait', "wait for the reached agents' replies and print them")
    .option('--timeout <seconds>', 'with --wait: give up (exit code 1) after this long', (v) => parseInt(v, 10), 600)
    .action(async (id: string, text: string, o: { user: string; wait?: boolean; timeout: number }, cmd: Command) => {
      const { client, json } = ctx(cmd);
      try {
        if (!o.wait) {
          const m = await client.messages.post(id, { userId: o.user, content: text });
          return print(json, m, () => `${m.id}${m.jobIds.length ? `  jobs: ${m.jobIds.join(', ')}` : ''}`);
        }
        if (!(o.timeout > 0)) throw new Error('--timeout is a number of seconds above 0');
        const outcomes = await postAndWait(client, id, { userId: o.user, content: text }, o.timeout);
        if (outcomes.length === 0 && !json)
          process.stderr.write('wiz: no agent reached (in a channel, mention one: @Name)\n');
        print(json, outcomes, () =>
          outcomes
            .map((x) => ('message' in x ? line(x.message) : `(job ${x.jobId} cancelled: ${x.cancelled})`))
            .join('\n'),
        );
      } finally {
        client.close();
      }
    });
  removeCommand(
    conversations,
    'conversation',
    'delete a conversation with its messages (refused while one of its jobs has not ended)',
    (c, id) => c.conversations.remove(id),
  );
}

async function create(
  client: WizClient,
  o: { agent?: string; project?: string; name?: string; agents?: string; users?: string; user: string },
): Promise<Conversation> {
  if (o.agent !== undefined) {
    if (o.project !== undefined || o.name !== undefined)
      throw new Error('give either --agent (a DM) or --project and --name (a channel), not both');
    const agent = await findAgent(client, o.agent);
    return client.conversations.create({ kind: 'dm', agentId: agent.id, userId: o.user });
  }
  if (o.project === undefined || o.name === undefined)
    throw new Error('give --agent <agent> for a DM, or --project <id> and --name <name> for a channel');
  const agentIds = await Promise.all(csv(o.agents ?? '').map(async (a) => (await findAgent(client, a)).id));
  const users = (o.users === undefined ? [CLI_USER] : csv(o.users)).map((userId) => ({ userId }));
  return client.conversations.create({ kind: 'channel', projectId: o.project, name: o.name, agentIds, users });
}

/** What a job of the posted message ended its part with: its agent's message, or its cancellation. */
type Outcome = { message: Message } | { jobId: string; cancelled: string };

/**
 * Posts and resolves once every job the message started has answered (an agent's message: its
 * answer, a question, or a failed job's apology) or was cancelled (no message then). The topic is
 * followed before posting, so that nothing is missed; `timeoutSec` bounds the wait.
 */
async function postAndWait(
  client: WizClient,
  id: string,
  post: { userId: string; content: string },
  timeoutSec: number,
): Promise<Outcome[]> {
  const seen: Outcome[] = [];
  let pending: Set<string> | undefined;
  let done: (() => void) | undefined;
  const outcomes: Outcome[] = [];
  const take = (o: Outcome) => {
    const ids = 'message' in o ? o.message.jobIds : [o.jobId];
    if (ids.filter((j) => pending!.delete(j)).length) outcomes.push(o);
    if (pending!.size === 0) done?.();
  };
  const sub = client.events.subscribe(`conversation:${id}`, {
    onEvent: ({ event: e }) => {
      const o: Outcome | undefined =
        e.type === 'message.created' && e.data.message.author.kind === 'agent'
          ? { message: e.data.message }
          : e.type === 'job.cancelled' && e.jobId
            ? { jobId: e.jobId, cancelled: e.data.reason }
            : undefined;
      if (!o) return;
      if (pending) take(o);
      else seen.push(o);
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await sub.ready;
    const posted = await client.messages.post(id, post);
    pending = new Set(posted.jobIds);
    if (pending.size === 0) return [];
    const all = new Promise<void>((resolve) => (done = resolve));
    seen.forEach(take);
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`no reply within ${timeoutSec} s from job ${[...pending!].join(', ')} (see wiz jobs show)`)),
        timeoutSec * 1_000,
      );
    });
    await Promise.race([all, late]);
    return outcomes;
  } finally {
    clearTimeout(timer);
    sub.close();
  }
}
