import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { WizClient } from '@wiz/client';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { McpTestServer } from '../support/mcp-test-server';
import { trackChild } from '../support/child-registry';
import { cleanup, isolation } from '../support/isolation';
import { until } from '../support/until';
import { startServer, WizProcess } from '../support/wiz-process';

const CLI = join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// The `wiz` command line (built: `node dist/apps/cli/src/main.js`) against the built server.
describe('wiz CLI', () => {
  const iso = isolation('cli');
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-cli-'));
  const configHome = mkdtempSync(join(tmpdir(), 'wiz-cli-config-'));
  const llm = new FakeLlmServer({
    rules: [
      { match: { lastUserContains: 'BOOM' }, reply: { status: 500, errorMessage: 'upstream exploded' } },
      // The steering message sent while the job waits is the last thing the agent reads.
      {
        match: { systemContains: 'You are Gated,', lastUserContains: 'keep it short' },
        reply: { content: 'done, briefly' },
      },
      {
        match: { systemContains: 'You are Gated,', hasToolResult: false },
        reply: { toolCalls: [{ name: 'todo_write', arguments: { todos: [{ text: 'ship it' }] } }] },
      },
      {
        match: { systemContains: 'You are Gated,', hasToolResult: true },
        reply: { content: 'done: {{lastToolResult}}' },
      },
      {
        match: { systemContains: 'You are Waiter,', hasToolResult: false },
        reply: { toolCalls: [{ name: 'wait_for_signal', arguments: { name: 'go', timeoutSec: 120 } }] },
      },
      {
        match: { systemContains: 'You are Waiter,', hasToolResult: true },
        reply: { content: 'got {{lastToolResult}}' },
      },
      { reply: { content: 'echo: {{lastUserFirstLine}}', chunkSize: 4, tokenIntervalMs: 5 } },
    ],
  });
  let server: WizProcess;
  let client: WizClient;

  const start = (args: string[], env: Record<string, string> = {}): ChildProcess => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env['PATH'] ?? '', XDG_CONFIG_HOME: configHome, WIZ_URL: server.baseUrl, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child);
    return child;
  };
  const wiz = async (args: string[], env?: Record<string, string>): Promise<Run> => {
    const child = start(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  };

  beforeAll(async () => {
    server = await startServer({
      store: 'postgres',
      iso,
      dataDir,
      llmUrl: await llm.start(),
      env: { WIZ_AGENT_MAX_ITERATIONS: '1' },
    });
    client = new WizClient({ baseUrl: server.baseUrl, WebSocket });
    await client.agents.create({ name: 'Ada', role: 'a helper', loop: { planning: false } });
  });

  afterAll(async () => {
    client?.close();
    await server?.stop();
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configHome, { recursive: true, force: true });
  });

  it("starts without loading the contracts' schemas or Nest (one module of each library it needs)", async () => {
    // What a command's process has loaded when it exits (--help exits before any request).
    const probe = spawn(
      process.execPath,
      [
        '-e',
        `process.argv = ['node', 'wiz', '--help'];
         process.on('exit', () => process.stderr.write(JSON.stringify(Object.keys(require.cache))));
         require(${JSON.stringify(CLI)});`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    trackChild(probe);
    let loaded = '';
    probe.stderr!.on('data', (d: Buffer) => (loaded += d.toString()));
    const [code] = (await once(probe, 'exit')) as [number | null];
    expect(code).toBe(0);
    const files = JSON.parse(loaded) as string[];
    expect(files).toContainEqual(expect.stringMatching(/libs\/contracts\/src\/vocabulary\.js$/));
    expect(files.filter((f) => /libs\/contracts\/src\/(index|[a-z-]+\.schema)\.js$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.includes('/node_modules/@nestjs/'))).toEqual([]);
  });

  it('wiz run streams the answer and exits 0; a failed job exits 1 with the reason', async () => {
    const ok = await wiz(['run', '--agent', 'ada', 'hello there']);
    expect(ok).toMatchObject({ code: 0, stdout: 'echo: hello there\n' });
    expect(ok.stderr).toMatch(/job [0-9a-f-]{36} for Ada/);

    const bad = await wiz(['run', '--agent', 'Ada', 'BOOM now']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/failed: .*upstream exploded/);

    const json = await wiz(['run', '--agent', 'Ada', 'as json', '--json']);
    expect(json.code).toBe(0);
    const types = json.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types).toEqual(expect.arrayContaining(['job.created', 'agent.token', 'job.completed']));

    const missing = await wiz(['run', '--agent', 'Nobody', 'hi']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no agent named "Nobody"');
  });

  it('wiz events tail prints a topic from a sequence number, then live', async () => {
    const agent = (await client.agents.list()).items.find((a) => a.name === 'Ada')!;
    const before = await client.agents.execute(agent.id, { input: 'before the tail', waitMs: 20_000 });
    const tail = start(['events', 'tail', `agent:${agent.id}`, '--since', '0', '--json']);
    let out = '';
    let waiting: (() => void) | undefined;
    tail.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      waiting?.();
    });
    const seen = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        waiting = () => pattern.test(out) && resolve();
        tail.once('exit', () => reject(new Error(`wiz events tail exited: ${out}`)));
        waiting();
      });
    try {
      // Replayed: a job that ended before the tail started.
      await seen(
        new RegExp(`"jobId":"${before.id}".*"type":"job.completed"|"type":"job.completed".*"jobId":"${before.id}"`),
      );
      const job = await client.jobs.create({ agentId: agent.id, input: 'live one' });
      await seen(new RegExp(`"jobId":"${job.id}".*"type":"job.completed"|"type":"job.completed".*"jobId":"${job.id}"`));
      const seqs = out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { seq: number }).seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(seqs.filter((q, i) => seqs.indexOf(q) !== i)).toEqual([]);
      expect(seqs.every((q) => typeof q === 'number')).toBe(true);
    } finally {
      tail.kill('SIGTERM');
      await once(tail, 'exit').catch(() => undefined);
    }
  });

  it('wiz login stores the URL for later commands (user-only file); agents, jobs and keys answer', async () => {
    const login = await wiz(['login', '--url', server.baseUrl], { WIZ_URL: '' });
    expect(login.code).toBe(0);
    const file = join(configHome, 'wiz', 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const agents = await wiz(['agents', 'ls', '--json'], { WIZ_URL: '' });
    expect((JSON.parse(agents.stdout) as Array<{ name: string }>).map((a) => a.name)).toEqual(['Ada']);
    const shown = await wiz(['agents', 'show', 'Ada'], { WIZ_URL: '' });
    expect(shown.stdout).toContain('role:      a helper');
    const created = await wiz(['agents', 'create', '--name', 'Bea', '--role', 'reviews', '--json']);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: 'Bea' });

    const jobs = await wiz(['jobs', 'ls', '--status', 'failed', '--json']);
    const failed = (JSON.parse(jobs.stdout) as { items: Array<{ id: string; status: string }> }).items;
    expect(failed.map((j) => j.status)).toEqual(['failed']);
    const retried = await wiz(['jobs', 'retry', failed[0]!.id]);
    expect(retried).toMatchObject({ code: 0, stdout: expect.stringContaining(failed[0]!.id) });
    expect((await wiz(['jobs', 'show', failed[0]!.id])).stdout).toContain('input:    BOOM now');

    const key = await wiz(['keys', 'create', '--name', 'ci', '--json']);
    const { id } = JSON.parse(key.stdout) as { id: string };
    expect((await wiz(['keys', 'ls'])).stdout).toContain(id);
    expect((await wiz(['keys', 'revoke', id])).code).toBe(0);
  });

  it('wiz projects and conversations: a channel made, posted to with its reply awaited, shown, and deleted', async () => {
    const project = JSON.parse((await wiz(['projects', 'create', '--name', 'Launch', '--json'])).stdout) as {
      id: string;
    };
    const made = await wiz([
      'conversations',
      'create',
      '--project',
      project.id,
      '--name',
      'general',
      '--agents',
      'ada',
    ]);
    expect(made).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Created #general \([0-9a-f-]{36}\) with /) });
    const listed = JSON.parse((await wiz(['conversations', 'ls', '--project', project.id, '--json'])).stdout) as {
      items: Array<{ id: string; name: string; participants: Array<{ kind: string; id: string }> }>;
    };
    expect(listed.items.map((c) => c.name)).toEqual(['general']);
    const channel = listed.items[0]!;
    expect(channel.participants.map((p) => p.kind).sort()).toEqual(['agent', 'user']);
    expect(channel.participants.find((p) => p.kind === 'user')!.id).toBe('cli');

    const unheard = await wiz(['conversations', 'post', channel.id, 'nobody named', '--wait']);
    expect(unheard).toMatchObject({ code: 0, stderr: 'wiz: no agent reached (in a channel, mention one: @Name)\n' });
    const posted = await wiz(['conversations', 'post', channel.id, '@Ada hello channel', '--wait']);
    expect(posted.code).toBe(0);
    expect(posted.stdout).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}Ada: echo: .*hello channel\n$/);
    const shown = await wiz(['conversations', 'show', channel.id]);
    expect(shown.stdout.split('\n').slice(0, 2)).toEqual([
      `#general  ${channel.id}  (project ${project.id})`,
      expect.stringMatching(/^with: (Ada, cli|cli, Ada)$/),
    ]);
    expect(shown.stdout).toMatch(/cli: nobody named\n.*cli: @Ada hello channel\n.*Ada: echo: .*hello channel\n$/);

    // Refusals change nothing: a project with a channel, a create that names neither kind.
    const busy = await wiz(['projects', 'rm', project.id]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/HTTP 409/);
    const vague = await wiz(['conversations', 'create', '--name', 'x']);
    expect(vague).toMatchObject({ code: 1, stderr: expect.stringContaining('give --agent <agent> for a DM') });
    expect((await client.conversations.list({ projectId: project.id })).total).toBe(1);

    expect(await wiz(['conversations', 'rm', channel.id])).toMatchObject({ code: 0 });
    const gone = await wiz(['conversations', 'show', channel.id]);
    expect(gone).toMatchObject({ code: 1, stderr: expect.stringMatching(/HTTP 404/) });
    expect(await wiz(['projects', 'rm', project.id])).toMatchObject({ code: 0 });
    expect((await wiz(['projects', 'ls', '--json'])).stdout.trim()).toBe('[]');

    // A DM: the reply of a post without --wait is read back with show.
    const dm = JSON.parse((await wiz(['conversations', 'create', '--agent', 'Ada', '--json'])).stdout) as {
      id: string;
      kind: string;
    };
    expect(dm.kind).toBe('dm');
    const sent = await wiz(['conversations', 'post', dm.id, 'direct one', '--json']);
    const { jobIds } = JSON.parse(sent.stdout) as { jobIds: string[] };
    expect(jobIds).toHaveLength(1);
    await until(async () => (await client.jobs.get(jobIds[0]!)).status === 'completed', 20_000, 'the DM job ends');
    await until(
      async () => (await wiz(['conversations', 'show', dm.id])).stdout.includes('Ada: echo: '),
      20_000,
      'the reply is posted',
    );

    // --wait ends on a cancelled job (which posts nothing), and gives up after --timeout.
    const ada = (await client.agents.list()).items.find((a) => a.name === 'Ada')!;
    await client.agents.pause(ada.id);
    try {
      const late = await wiz(['conversations', 'post', dm.id, 'while paused', '--wait', '--timeout', '1']);
      expect(late).toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/^wiz: no reply within 1 s from job [0-9a-f-]{36}/),
      });
      const queued = (await client.jobs.list({ agentId: ada.id, status: ['queued'] })).items;
      expect(queued).toHaveLength(1);
      await client.jobs.cancel(queued[0]!.id);

      const waiting = start(['conversations', 'post', dm.id, 'cancel me', '--wait']);
      let out = '';
      waiting.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      let job: { id: string } | undefined;
      await until(
        async () => !!(job = (await client.jobs.list({ agentId: ada.id, status: ['queued'] })).items[0]),
        20_000,
        'the job is queued',
      );
      await client.jobs.cancel(job!.id);
      const [code] = (await once(waiting, 'exit')) as [number | null];
      expect(code).toBe(0);
      expect(out).toMatch(new RegExp(`^\\(job ${job!.id} cancelled: .+\\)\\n$`));
    } finally {
      await client.agents.resume(ada.id);
    }
  });

  it("wiz chat talks in the agent's DM with the cli user, not in another person's", async () => {
    const ada = (await client.agents.list()).items.find((a) => a.name === 'Ada')!;
    const theirs = await client.conversations.create({ kind: 'dm', agentId: ada.id, userId: 'alice' });
    const child = spawn(process.execPath, [CLI, 'chat', 'Ada'], {
      env: { PATH: process.env['PATH'] ?? '', XDG_CONFIG_HOME: configHome, WIZ_URL: server.baseUrl },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    trackChild(child);
    let out = '';
    let stderr = '';
    let sent = false;
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const answered = new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (!sent && out.includes('you: ')) {
          sent = true;
          child.stdin!.write('hi from chat\n');
        }
        if (/Ada: echo: .*hi from chat\n/.test(out)) resolve();
      });
      child.once('exit', () => reject(new Error(`wiz chat exited: ${out} ${stderr}`)));
    });
    await answered;
    child.stdin!.end('/exit\n');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect((await client.messages.list(theirs.id)).items).toEqual([]);
    const mine = (await client.conversations.list({ limit: 500 })).items.filter(
      (c) => c.kind === 'dm' && c.participants.some((p) => p.kind === 'user' && p.id === 'cli'),
    );
    expect(mine).toHaveLength(1);
    // The same DM, found by the CLI's filters; Alice's only with hers.
    const listed = async (...args: string[]) =>
      (
        JSON.parse((await wiz(['conversations', 'ls', ...args, '--json'])).stdout) as { items: Array<{ id: string }> }
      ).items.map((c) => c.id);
    expect(await listed('--agent', 'ada', '--kind', 'dm', '--user', 'cli')).toEqual([mine[0]!.id]);
    expect(await listed('--agent', 'Ada', '--user', 'alice')).toEqual([theirs.id]);
    expect(await wiz(['conversations', 'ls', '--kind', 'group'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('kind'),
    });
    const said = (await client.messages.list(mine[0]!.id)).items.map((m) => m.content);
    expect(said).toContain('hi from chat');
  });

  it('wiz agents pause, resume and rm; schedules; mcp add, tools and rm; jobs signal', async () => {
    expect(await wiz(['agents', 'pause', 'Ada'])).toMatchObject({ code: 0, stdout: 'Ada is paused\n' });
    expect((await wiz(['agents', 'ls'])).stdout).toMatch(/^Ada\s+paused/m);
    expect(await wiz(['agents', 'resume', 'ada'])).toMatchObject({ code: 0, stdout: 'Ada is taking jobs\n' });
    const temp = await client.agents.create({ name: 'Temp', role: 'goes away' });
    expect(await wiz(['agents', 'rm', 'Temp'])).toMatchObject({ code: 0, stdout: `Deleted Temp (${temp.id})\n` });
    expect((await wiz(['agents', 'show', 'Temp'])).stderr).toContain('no agent named "Temp"');

    const bad = await wiz(['schedules', 'create', '--agent', 'Ada', '--cron', '61 * * * *', 'standup']);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining('invalid cron expression "61 * * * *"') });
    const made = await wiz([
      'schedules',
      'create',
      '--agent',
      'Ada',
      '--cron',
      '0 9 * * 1-5',
      '--tz',
      'Europe/Berlin',
      'standup',
      '--json',
    ]);
    const schedule = JSON.parse(made.stdout) as { id: string; nextRunAt: string; template: { input: string } };
    expect(schedule.template.input).toBe('standup');
    expect(new Date(schedule.nextRunAt).getTime()).toBeGreaterThan(Date.now());
    expect((await wiz(['schedules', 'ls'])).stdout).toMatch(
      new RegExp(`${schedule.id}\\s+0 9 \\* \\* 1-5 Europe/Berlin`),
    );
    expect(await wiz(['schedules', 'rm', schedule.id])).toMatchObject({ code: 0 });
    expect((await client.schedules.list()).items).toEqual([]);

    const mcp = new McpTestServer();
    const url = await mcp.start();
    try {
      const both = await wiz(['mcp', 'add', '--name', 'probe', '--http', url, '--stdio', 'node']);
      expect(both).toMatchObject({ code: 1, stderr: 'wiz: give either --http <url> or --stdio <command>\n' });
      const added = await wiz(['mcp', 'add', '--name', 'probe', '--http', url, '--header', 'X-Token=s3cret-value']);
      expect(added).toMatchObject({ code: 0, stdout: expect.stringContaining('wiz mcp tools probe') });
      const ls = await wiz(['mcp', 'ls']);
      expect(ls.stdout).toMatch(/probe\s+[0-9a-f-]{36}\s+http\s+http:\/\/127\.0\.0\.1:\d+\/mcp\s+X-Token/);
      expect(ls.stdout).not.toContain('s3cret-value');
      const tools = await wiz(['mcp', 'tools', 'probe']);
      expect(tools.code).toBe(0);
      expect(tools.stdout).toMatch(/probe__echo\s+echoes its text/);
      expect(mcp.headers.some((h) => h['x-token'] === 's3cret-value')).toBe(true);
      const id = (JSON.parse((await wiz(['mcp', 'ls', '--json'])).stdout) as Array<{ id: string }>)[0]!.id;
      expect(await wiz(['mcp', 'rm', id])).toMatchObject({ code: 0 });
      await mcp.stop();
      // A server nobody answers at: its state and reason, and exit code 1.
      expect((await wiz(['mcp', 'add', '--name', 'gone', '--http', url])).code).toBe(0);
      const down = await wiz(['mcp', 'tools', 'gone']);
      expect(down.code).toBe(1);
      expect(down.stdout).toMatch(/^gone: failed: /);
      const goneId = (JSON.parse((await wiz(['mcp', 'ls', '--json'])).stdout) as Array<{ id: string }>)[0]!.id;
      expect(await wiz(['mcp', 'rm', goneId])).toMatchObject({ code: 0 });
      expect((await client.mcpServers.list()).items).toEqual([]);
    } finally {
      await mcp.stop();
    }

    const waiter = await client.agents.create({
      name: 'Waiter',
      role: 'waits for a go',
      tools: ['wait_for_signal'],
      loop: { planning: false, maxIterations: 3 },
    });
    const job = await client.jobs.create({ agentId: waiter.id, input: 'wait for it' });
    await until(async () => (await client.jobs.get(job.id)).status === 'waiting-input', 20_000, 'the job parks');
    const unexpected = await wiz(['jobs', 'signal', job.id, 'stop']);
    expect(unexpected).toMatchObject({ code: 1, stderr: expect.stringMatching(/HTTP 409/) });
    const notJson = await wiz(['jobs', 'signal', job.id, 'go', '--payload', '{oops']);
    expect(notJson).toMatchObject({ code: 1, stderr: 'wiz: --payload is not JSON: {oops\n' });
    expect(await wiz(['jobs', 'signal', job.id, 'go', '--payload', '{"n":7}'])).toMatchObject({
      code: 0,
      stdout: `go woke 1 wait(s) of ${job.id}\n`,
    });
    await until(async () => (await client.jobs.get(job.id)).status === 'completed', 20_000, 'the job completes');
    expect((await client.jobs.get(job.id)).result?.text).toMatch(/^got .*"n":7/);
  });

  it('wiz approvals ls and approve let a gated call run; jobs steer and input answer; reject needs a pending one', async () => {
    const empty = await wiz(['approvals', 'ls']);
    expect(empty.stdout).toContain('No approvals waiting. Set an approval policy on an agent to gate its tools.');
    const gate = await client.agents.create({
      name: 'Gated',
      role: 'asks first',
      loop: { planning: false, maxIterations: 3 },
      approvals: { todo_write: 'always' },
    });
    const job = await client.jobs.create({ agentId: gate.id, input: 'GATED work' });
    await until(async () => (await client.jobs.get(job.id)).status === 'waiting-input', 20_000, 'the job parks');
    const ls = await wiz(['approvals', 'ls']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/todo_write\s+\{"todos":\[\{"text":"ship it"/);
    const listed = JSON.parse((await wiz(['approvals', 'ls', '--json'])).stdout) as { items: Array<{ id: string }> };
    expect(listed.items).toHaveLength(1);
    const approvalId = listed.items[0]!.id;

    const steer = await wiz(['jobs', 'steer', job.id, 'keep it short']);
    expect(steer).toMatchObject({ code: 0, stdout: `sent to ${job.id}\n` });
    const noQuestion = await wiz(['jobs', 'input', job.id, 'blue']);
    expect(noQuestion.code).toBe(1);
    expect(noQuestion.stderr).toMatch(/HTTP 409/);

    const approved = await wiz(['approvals', 'approve', approvalId, '--comment', 'fine']);
    expect(approved).toMatchObject({ code: 0, stdout: `${approvalId} is approved\n` });
    await until(async () => (await client.jobs.get(job.id)).status === 'completed', 20_000, 'the job completes');
    expect((await client.jobs.get(job.id)).result?.text).toBe('done, briefly');
    const again = await wiz(['approvals', 'reject', approvalId, '--comment', 'too late']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already approved.*HTTP 409/);
    expect((await client.approvals.get(approvalId)).resolution).toMatchObject({ decision: 'approve', comment: 'fine' });
  });
});
