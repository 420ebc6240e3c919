import { Command } from 'commander';
import { JOB_STATUSES, JobStatus } from '@wiz/contracts/vocabulary';
import { ctx, findAgent } from './context';
import { exitCodeOf, followJob } from './follow';
import { clip, csv, print, table } from './output';

export function agentCommands(program: Command): void {
  const agents = program.command('agents').description('list, create and show agents');
  agents
    .command('ls')
    .description('list agents')
    .action(async (_o, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const page = await client.agents.list({ limit: 500 });
      print(json, page.items, () =>
        table(
          page.items.map((a) => ({
            name: a.name,
            status: a.paused ? 'paused' : a.status,
            model: a.model.model ?? 'default',
            id: a.id,
            role: clip(a.role, 40),
          })),
          'No agents yet: wiz agents create --name Ada --role "a helper"',
        ),
      );
    });
  agents
    .command('create')
    .description('create an agent')
    .requiredOption('--name <name>', 'its name')
    .requiredOption('--role <role>', 'what it does, in a sentence')
    .option('--goal <goal>', 'its goal')
    .option('--model <model>', 'model id (default: the server default)')
    .option('--tools <tools>', 'allowed tools, comma separated (default: the default set)')
    .option('--delegates <names>', 'agents it may delegate to, comma separated (default: any)')
    .option('--no-planning', 'do not plan and self-validate')
    .action(
      async (
        o: {
          name: string;
          role: string;
          goal?: string;
          model?: string;
          tools?: string;
          delegates?: string;
          planning: boolean;
        },
        cmd: Command,
      ) => {
        const { client, json } = ctx(cmd);
        const list = (s?: string) => (s === undefined ? undefined : csv(s));
        const agent = await client.agents.create({
          name: o.name,
          role: o.role,
          goal: o.goal,
          model: o.model ? { model: o.model } : undefined,
          tools: list(o.tools),
          delegates: list(o.delegates),
          loop: { planning: o.planning },
        });
        print(json, agent, () => `Created ${agent.name} (${agent.id})`);
      },
    );
  agents
    .command('show <agent>')
    .description('show an agent (name or id)')
    .action(async (nameOrId: string, _o, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const a = await findAgent(client, nameOrId);
      print(json, a, () =>
        [
          `${a.name} (${a.paused ? 'paused' : a.status})  ${a.id}`,
          `role:      ${a.role}`,
          `goal:      ${a.goal ?? '—'}`,
          `model:     ${a.model.model ?? 'default'}`,
          `tools:     ${a.tools ? a.tools.join(', ') : 'default set'}`,
          `delegates: ${a.delegates ? a.delegates.join(', ') : 'any agent'}`,
          `rules v${a.behaviorVersion}: ${a.behaviorRules.length ? a.behaviorRules.map((r) => `\n  - ${r}`).join('') : 'none'}`,
        ].join('\n'),
      );
    });
  for (const [name, verb] of [
    ['pause', 'pause an agent: it takes no new job until resumed (a running one finishes)'],
    ['resume', 'resume a paused agent'],
  ] as const) {
    agents
      .command(`${name} <agent>`)
      .description(verb)
      .action(async (nameOrId: string, _o, cmd: Command) => {
        const { client, json } = ctx(cmd);
        const agent = await findAgent(client, nameOrId);
        const a = name === 'pause' ? await client.agents.pause(agent.id) : await client.agents.resume(agent.id);
        print(json, a, () => `${a.name} is ${a.paused ? 'paused' : 'taking jobs'}`);
      });
  }
  agents
    .command('rm <agent>')
    .description('delete an agent (name or id)')
    .action(async (nameOrId: string, _o, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const agent = await findAgent(client, nameOrId);
      await client.agents.remove(agent.id);
      print(json, { id: agent.id, deleted: true }, () => `Deleted ${agent.name} (${agent.id})`);
    });
}

export function runCommand(program: Command): void {
  program
    .command('run <input>')
    .description('submit a job to an agent and stream it until it ends (exit code: 0 completed, 1 failed, 2 cancelled)')
    .requiredOption('--agent <agent>', 'the agent (name or id)')
    .option('--priority <n>', 'priority within the agent (higher first)', (v) => parseInt(v, 10))
    .action(async (input: string, o: { agent: string; priority?: number }, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const agent = await findAgent(client, o.agent);
      // Followed before the job exists, so that its every model call streams (a model call
      // streams its tokens only while someone follows the job or its agent: WIZ_LIVE_TOKENS).
      const early = client.events.subscribe(`agent:${agent.id}`);
      await early.ready;
      const job = await client.jobs.create({ agentId: agent.id, input, priority: o.priority });
      if (!json) process.stderr.write(`· job ${job.id} for ${agent.name}\n`);
      const ended = await followJob(client, job.id, json);
      early.close();
      client.close();
      process.exitCode = exitCodeOf(ended);
    });
}

export function jobCommands(program: Command): void {
  const jobs = program.command('jobs').description('list, show, cancel and retry jobs');
  jobs
    .command('ls')
    .description('list jobs, newest first')
    .option('--status <status>', `only these statuses, comma separated (${JOB_STATUSES.join(', ')})`)
    .option('--agent <agent>', 'only this agent (name or id)')
    .option('--limit <n>', 'how many', (v) => parseInt(v, 10), 20)
    .action(async (o: { status?: string; agent?: string; limit: number }, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const agents = (await client.agents.list({ limit: 500 })).items;
      const agentId = o.agent ? (await findAgent(client, o.agent)).id : undefined;
      const page = await client.jobs.list({
        status: o.status?.split(',') as JobStatus[] | undefined,
        agentId,
        limit: o.limit,
      });
      print(
        json,
        page,
        () =>
          table(
            page.items.map((j) => ({
              id: j.id,
              status: j.status,
              agent: agents.find((a) => a.id === j.agentId)?.name ?? j.agentId.slice(0, 8),
              progress: `${j.progress}%`,
              input: clip(j.input, 50),
            })),
            'No jobs.',
          ) + (page.total > page.items.length ? `\n(${page.total - page.items.length} more: --limit)` : ''),
      );
    });
  jobs
    .command('show <id>')
    .description('show a job, its result or failure')
    .action(async (id: string, _o, cmd: Command) => {
      const { client, json } = ctx(cmd);
      const j = await client.jobs.get(id);
      print(json, j, () =>
        [
          `${j.id}  ${j.status}  ${j.progress}%`,
          `agent:    ${j.agentId}${j.parentJobId ? `  (delegated by ${j.parentJobId})` : ''}`,
          `attempts: ${j.attempts}/${j.maxAttempts}`,
          `input:    ${j.input}`,
          j.result ? `result:   ${j.result.text}` : j.failureReason ? `failure:  ${j.failureReason}` : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });
  for (const [name, verb] of [
    ['cancel', 'cancel a job'],
    ['retry', 'retry a failed or cancelled job'],
  ] as const) {
    jobs
      .command(`${name} <id>`)
      .description(verb)
      .action(async (id: string, _o, cmd: Command) => {
        const { client, json } = ctx(cmd);
        const j = name === 'cancel' ? await client.jobs.cancel(id) : await client.jobs.retry(id);
        print(json, j, () => `${j.id} is ${j.status}`);
      });
  }
}
