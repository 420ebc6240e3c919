import { Command } from 'commander';
import { WebSocket } from 'ws';
import type { Agent } from '@wiz/contracts';
import { WizApiError, WizClient } from '@wiz/client';
import { print } from './output';
import { resolveTarget } from './settings';

export interface Ctx {
  client: WizClient;
  json: boolean;
}

/** Who the command line speaks as in conversations (`wiz chat`, `wiz conversations`), unless `--user` says otherwise. */
export const CLI_USER = 'cli';

/** The client for a command, from its global options (--url, --key, --json). */
export function ctx(cmd: Command): Ctx {
  const o = cmd.optsWithGlobals<{ url?: string; key?: string; json?: boolean }>();
  const target = resolveTarget(o);
  return { client: new WizClient({ baseUrl: target.url, apiKey: target.apiKey, WebSocket }), json: o.json === true };
}

/** An agent by id or by name (names are what people type). */
export async function findAgent(client: WizClient, nameOrId: string): Promise<Agent> {
  const all = (await client.agents.list({ limit: 500 })).items;
  const agent = all.find((a) => a.id === nameOrId) ?? all.find((a) => a.name.toLowerCase() === nameOrId.toLowerCase());
  if (!agent) throw new WizApiError(404, 'not_found', `no agent named "${nameOrId}" (see \`wiz agents ls\`)`);
  return agent;
}

/** `<parent> rm <id>`: deletes one `what` by id with `remove`, and says so. */
export function removeCommand(
  parent: Command,
  what: string,
  description: string,
  remove: (client: WizClient, id: string) => Promise<void>,
): void {
  parent
    .command('rm <id>')
    .description(description)
    .action(async (id: string, _o, cmd: Command) => {
      const { client, json } = ctx(cmd);
      await remove(client, id);
      print(json, { id, deleted: true }, () => `Deleted ${what} ${id}`);
    });
}
