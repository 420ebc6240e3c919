import { Command } from 'commander';
import { WizClient } from '@wiz/client';
import { ctx } from './context';
import { describe } from './follow';
import { print, table } from './output';
import { readStored, resolveTarget, writeStored } from './settings';

export function loginCommand(program: Command): void {
  program
    .command('login')
    .description('check and store the server URL and API key (in $XDG_CONFIG_HOME/wiz/config.json)')
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ url?: string; key?: string; json?: boolean }>();
      const target = resolveTarget(o);
      const client = new WizClient({ baseUrl: target.url, apiKey: target.apiKey });
      const agents = await client.agents.list({ limit: 1 });
      const file = writeStored({ ...readStored(), url: target.url, apiKey: target.apiKey });
      print(
        o.json === true,
        { url: target.url, file, agents: agents.total },
        () => `Logged in to ${target.url} (${agents.total} agents). Saved to ${file}`,
      );
    });
}

export function eventsCommand(program: Command): void {
  program
    .command('events')
    .description('follow live events')
    .command('tail <topic>')
    .description('print the events of a topic (owner, agent:<id>, job:<id>, conversation:<id>) until Ctrl-C')
    .option('--since <seq>', 'replay after this sequence number first', (v) => parseInt(v, 10))
    .option('--tokens', 'also print live token frames')
    .action(async (topic: string, o: { since?: number; tokens?: boolean }, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const sub = client.events.subscribe(topic, { since: o.since });
      await sub.ready;
      if (!json)
        process.stderr.write(
          `· following ${topic}${o.since !== undefined ? ` since ${o.since}` : ''} (Ctrl-C to stop)\n`,
        );
      for await (const { seq, live, event: e } of sub) {
        if (live && !o.tokens) continue;
        if (json) process.stdout.write(JSON.stringify({ seq, ...e }) + '\n');
        else {
          const about = e.jobId ? ` job:${e.jobId.slice(0, 8)}` : e.agentId ? ` agent:${e.agentId.slice(0, 8)}` : '';
          process.stdout.write(
            `${seq ?? 'live'}\t${e.type}${about}\t${describe(e) ?? JSON.stringify(e.data).slice(0, 160)}\n`,
          );
        }
      }
    });
}

export function keyCommands(program: Command): void {
  const keys = program.command('keys').description('list, create and revoke API keys');
  keys
    .command('ls')
    .description("list the owner's keys")
    .action(async (_o, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const { items } = await client.keys.list();
      print(json, items, () =>
        table(
          items.map((k) => ({
            id: k.id,
            name: k.name,
            prefix: `${k.prefix}…`,
            owner: k.ownerId,
            admin: k.admin ? 'yes' : '',
            revoked: k.revokedAt ? 'yes' : '',
          })),
          'No keys.',
        ),
      );
    });
  keys
    .command('create')
    .description('create a key (shown once)')
    .option('--name <name>', 'what it is for')
    .option('--owner <owner>', 'for another owner (admin keys only)')
    .option('--admin', 'an admin key (admin keys only)')
    .action(async (o: { name?: string; owner?: string; admin?: boolean }, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const k = await client.keys.create({ name: o.name, ownerId: o.owner, admin: o.admin });
      print(json, k, () => `${k.key}\n(key ${k.id} for ${k.ownerId}: copy it now, it is not shown again)`);
    });
  keys
    .command('revoke <id>')
    .description('revoke a key')
    .action(async (id: string, _o, cmd: Command) => {
      const { client, json } = ctx(cmd);
      await client.keys.revoke(id);
      print(json, { id, revoked: true }, () => `Revoked ${id}`);
    });
}
