import { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { CLI_USER, ctx, findAgent } from './context';

export function chatCommand(program: Command): void {
  program
    .command('chat <agent>')
    .description('talk with an agent in its DM (Ctrl-D or /exit to leave)')
    .action(async (nameOrId: string, _o, cmd: Command) => {
      const { client } = ctx(cmd);
      const agent = await findAgent(client, nameOrId);
      const mine = await client.conversations.list({ kind: 'dm', agentId: agent.id, userId: CLI_USER, limit: 1 });
      const dm =
        mine.items[0] ??
        (await client.conversations.create({ kind: 'dm', agentId: agent.id, userId: CLI_USER, userName: 'CLI' }));
      let answered: (() => void) | undefined;
      let streaming = false;
      const sub = client.events.subscribe(`conversation:${dm.id}`, {
        onEvent: ({ event: e }) => {
          if (e.type === 'agent.token') {
            if (!streaming) process.stdout.write(`${agent.name}: `);
            streaming = true;
            process.stdout.write(e.data.delta);
          } else if (e.type === 'agent.step') {
            if (streaming) process.stdout.write('\n');
            streaming = false;
          } else if (e.type === 'message.created' && e.data.message.author.kind === 'agent') {
            const m = e.data.message;
            if (streaming) process.stdout.write('\n');
            else process.stdout.write(`${m.role === 'system' ? '(!) ' : ''}${agent.name}: ${m.content}\n`);
            streaming = false;
            answered?.();
          }
        },
      });
      await sub.ready;
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      process.stdout.write(`Talking with ${agent.name} (${agent.role}). /exit to leave.\n`);
      try {
        for (;;) {
          const line = (await rl.question('you: ').catch(() => '/exit')).trim();
          if (line === '/exit') break;
          if (!line) continue;
          const done = new Promise<void>((r) => (answered = r));
          try {
            await client.messages.post(dm.id, { userId: CLI_USER, content: line });
            await done;
          } catch (e) {
            process.stderr.write(`wiz: ${e instanceof Error ? e.message : String(e)}\n`);
          }
        }
      } finally {
        rl.close();
        client.close();
      }
    });
}
