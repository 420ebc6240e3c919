import { Command } from 'commander';
import { MISSED_RUN_POLICIES } from '@wiz/contracts/vocabulary';
import { ctx, findAgent, removeCommand } from './context';
import { clip, print, table } from './output';

/** A repeatable `--x K=V` option, gathered into a map (the first `=` or `:` splits it). */
const pairs = (v: string, into: Record<string, string> = {}): Record<string, string> => {
  const at = v.search(/[=:]/);
  if (at <= 0) throw new Error(`"${v}" is not NAME=value`);
  return { ...into, [v.slice(0, at).trim()]: v.slice(at + 1).trim() };
};
const repeat = (v: string, into: string[] = []) => [...into, v];

// Cron schedules that submit a job at each tick.
export function scheduleCommands(program: Command): void {
  const schedules = program.command('schedules').description('list, create and delete cron schedules');
  schedules
    .command('ls')
    .description('list schedules')
    .action(async (_o, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const page = await client.schedules.list({ limit: 500 });
      print(json, page.items, () =>
        table(
          page.items.map((s) => ({
            id: s.id,
            name: s.name ?? '',
            cron: `${s.cron} ${s.timezone}`,
            next: s.nextRunAt ?? (s.enabled ? 'never' : 'disabled'),
            input: clip(s.template.input, 40),
          })),
          'No schedules: wiz schedules create --agent Ada --cron "0 9 * * 1-5" "<input>"',
        ),
      );
    });
  schedules
    .command('create <input>')
    .description('submit a job to an agent at each tick of a cron expression (5 fields, or 6 with seconds)')
    .requiredOption('--agent <agent>', 'the agent (name or id)')
    .requiredOption('--cron <expression>', 'when, e.g. "0 9 * * 1-5"')
    .option('--tz <zone>', 'IANA time zone of the expression', 'UTC')
    .option('--name <name>', 'a name for it')
    .option('--missed <policy>', `ticks missed while no runtime ran: ${MISSED_RUN_POLICIES.join(', ')}`, 'skip')
    .action(
      async (
        input: string,
        o: { agent: string; cron: string; tz: string; name?: string; missed: string },
        cmd: Command,
      ) => {
        const { client, json } = ctx(cmd);
        const agent = await findAgent(client, o.agent);
        const s = await client.schedules.create({
          name: o.name,
          cron: o.cron,
          timezone: o.tz,
          // Checked by the server (a 400 names the policies).
          missedRunPolicy: o.missed as (typeof MISSED_RUN_POLICIES)[number],
          template: { agentId: agent.id, input },
        });
        print(json, s, () => `Created schedule ${s.id}: next ${s.nextRunAt ?? 'never'}`);
      },
    );
  removeCommand(schedules, 'schedule', 'delete a schedule (its jobs stay)', (c, id) => c.schedules.remove(id));
}

// MCP servers as tool sources: secrets go in, only their names come out.
export function mcpCommands(program: Command): void {
  const mcp = program.command('mcp').description("add, list and check MCP servers (agents' tool sources)");
  mcp
    .command('ls')
    .description('list MCP servers')
    .action(async (_o, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const page = await client.mcpServers.list({ limit: 500 });
      print(json, page.items, () =>
        table(
          page.items.map((s) => ({
            name: s.name,
            id: s.id,
            transport: s.transport,
            target: clip(s.url ?? [s.command, ...s.args].join(' '), 50),
            secrets: [...s.headerNames, ...s.envNames].join(', '),
          })),
          'No MCP servers: wiz mcp add --name docs --http https://mcp.example.com/mcp',
        ),
      );
    });
  mcp
    .command('add')
    // Not `--url`: that is the server's own, a global option.
    .description('add a server: --http <url> (streamable HTTP), or --stdio <command> (when the operator allows it)')
    .requiredOption('--name <name>', 'its name; its tools are <name>__<tool>')
    .option('--http <url>', 'its streamable HTTP endpoint')
    .option('--header <Name=value>', 'HTTP: a header sent with each request (repeatable; stored encrypted)', pairs)
    .option('--stdio <command>', 'the program to start, speaking MCP on its stdin and stdout')
    .option('--arg <arg>', 'stdio: an argument (repeatable)', repeat)
    .option('--env <NAME=value>', 'stdio: an environment variable (repeatable; stored encrypted)', pairs)
    .action(
      async (
        o: {
          name: string;
          http?: string;
          header?: Record<string, string>;
          stdio?: string;
          arg?: string[];
          env?: Record<string, string>;
        },
        cmd: Command,
      ) => {
        const { client, json } = ctx(cmd);
        if ((o.http === undefined) === (o.stdio === undefined))
          throw new Error('give either --http <url> or --stdio <command>');
        const s =
          o.http !== undefined
            ? await client.mcpServers.create({ name: o.name, transport: 'http', url: o.http, headers: o.header })
            : await client.mcpServers.create({
                name: o.name,
                transport: 'stdio',
                command: o.stdio!,
                args: o.arg,
                env: o.env,
              });
        print(json, s, () => `Added ${s.name} (${s.id}): see its tools with wiz mcp tools ${s.name}`);
      },
    );
  mcp
    .command('tools <server>')
    .description('connect to a server (name or id) and list its tools as agents see them')
    .action(async (nameOrId: string, _o, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const all = (await client.mcpServers.list({ limit: 500 })).items;
      const server = all.find((s) => s.id === nameOrId || s.name === nameOrId);
      if (!server) throw new Error(`no MCP server named "${nameOrId}" (see \`wiz mcp ls\`)`);
      const t = await client.mcpServers.tools(server.id);
      print(json, t, () =>
        t.state !== 'connected'
          ? `${server.name}: ${t.state}${t.error ? `: ${t.error}` : ''}`
          : table(
              t.tools.map((x) => ({ name: x.name, description: clip(x.description, 70) })),
              `${server.name} offers no tools.`,
            ),
      );
      if (t.state !== 'connected') process.exitCode = 1;
    });
  removeCommand(mcp, 'MCP server', 'remove a server (agents lose its tools)', (c, id) => c.mcpServers.remove(id));
}
