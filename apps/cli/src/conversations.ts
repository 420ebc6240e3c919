import { Command } from 'commander';
import type { Conversation, Message } from '@wiz/contracts';
import type { WizClient } from '@wiz/client';
import { ctx, findAgent, removeCommand } from './context';
import { clip, print, table } from './output';

/** Who the command line speaks as in conversations (as `wiz chat` does), unless `--user` says otherwise. */
export const CLI_USER = 'cli';

const list = (s?: string) =>
  (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
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

export function conversationCommands(program: Command): void {
  const conversations = program
    .command('conversations')
    .alias('conv')
    .description('list, show, create and delete DMs and channels; post to them');
  conversations
    .command('ls')
    .description('list conversations, newest first')
    .option('--project <id>', "only this project's channels")
    .option('--limit <n>', 'how many', (v) => parseInt(v, 10), 50)
    .action(async (o: { project?: string; limit: number }, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const page = await client.conversations.list({ projectId: o.project, limit: o.limit });
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
    .action(async (id: string, text: string, o: { user: string; wait?: boolean }, cmd: Command) => {
      const { client, json } = ctx(cmd);
      try {
        if (!o.wait) {
          const m = await client.messages.post(id, { userId: o.user, content: text });
          return print(json, m, () => `${m.id}${m.jobIds.length ? `  jobs: ${m.jobIds.join(', ')}` : ''}`);
        }
        const replies = await postAndWait(client, id, o.user, text);
        if (replies.length === 0 && !json)
          process.stderr.write('wiz: no agent reached (in a channel, mention one: @Name)\n');
        print(json, replies, () => replies.map(line).join('\n'));
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
  const agentIds = await Promise.all(list(o.agents).map(async (a) => (await findAgent(client, a)).id));
  const users = (o.users === undefined ? [CLI_USER] : list(o.users)).map((userId) => ({ userId }));
  return client.conversations.create({ kind: 'channel', projectId: o.project, name: o.name, agentIds, users });
}

/**
 * Posts and resolves with the agents' messages that answer its jobs (an answer, a question, or the
 * apology of a failed job): followed before posting, so that no reply is missed.
 */
async function postAndWait(client: WizClient, id: string, userId: string, content: string): Promise<Message[]> {
  const early: Message[] = [];
  let pending: Set<string> | undefined;
  let done: (() => void) | undefined;
  const replies: Message[] = [];
  const take = (m: Message) => {
    const answered = m.jobIds.filter((j) => pending!.delete(j));
    if (answered.length) replies.push(m);
    if (pending!.size === 0) done?.();
  };
  const sub = client.events.subscribe(`conversation:${id}`, {
    onEvent: ({ event: e }) => {
      if (e.type !== 'message.created' || e.data.message.author.kind !== 'agent') return;
      if (pending) take(e.data.message);
      else early.push(e.data.message);
    },
  });
  try {
    await sub.ready;
    const posted = await client.messages.post(id, { userId, content });
    pending = new Set(posted.jobIds);
    const all = new Promise<void>((resolve) => (done = resolve));
    if (pending.size === 0) return [];
    early.forEach(take);
    await all;
    return replies;
  } finally {
    sub.close();
  }
}
