import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WizClient } from '@wiz/client';
import { WebSocket } from 'ws';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { PLAN_INSTRUCTIONS, VALIDATE_INSTRUCTIONS } from '../../libs/agent/src/loop/prompts';
import { Browser, openBrowser } from '../support/browser';
import { cleanup, isolation } from '../support/isolation';
import { startServer, WizProcess } from '../support/wiz-process';

const PLAN = PLAN_INSTRUCTIONS.split('\n')[0]!;
const VALIDATE = VALIDATE_INSTRUCTIONS.split('\n')[0]!;

// The web console end to end: the built server serves it at `/`, a real Chromium drives it, the
// scripted model plans, delegates, streams and stalls on demand. Screenshots go to test-artifacts/.
describe('web console', () => {
  const iso = isolation('console');
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-console-'));
  const llm = new FakeLlmServer({
    rules: [
      {
        match: { systemContains: PLAN },
        reply: {
          content: JSON.stringify({
            validationCriteria: ['gives an answer the person can use'],
            steps: ['work out the answer', 'reply'],
          }),
        },
      },
      { match: { systemContains: VALIDATE }, reply: { content: JSON.stringify({ passed: true, feedback: '' }) } },
      {
        match: { systemContains: 'You are Lead,', lastUserContains: 'DELEGATE', hasToolResult: false },
        reply: { toolCalls: [{ name: 'delegate_to_agent', arguments: { agent: 'Helper', task: 'DELEGATE: count' } }] },
      },
      {
        match: { systemContains: 'You are Lead,', lastUserContains: 'DELEGATE', hasToolResult: true },
        reply: { content: 'Helper says: {{lastToolResult}}' },
      },
      {
        match: { systemContains: 'You are Helper,', lastUserContains: 'DELEGATE' },
        reply: { content: 'one, two, three' },
      },
      // The steering message sent while the job waits is the last thing the agent reads.
      {
        match: { systemContains: 'You are Gatekeeper,', lastUserContains: 'mention the date' },
        reply: { content: 'wrote it, dated: {{lastUserFirstLine}}' },
      },
      {
        match: { systemContains: 'You are Gatekeeper,', hasToolResult: false },
        reply: { toolCalls: [{ name: 'todo_write', arguments: { todos: [{ text: 'deploy to prod' }] } }] },
      },
      {
        match: { systemContains: 'You are Gatekeeper,', hasToolResult: true },
        reply: { content: 'wrote it: {{lastToolResult}}' },
      },
      { match: { lastUserContains: 'SLOW' }, reply: { content: 'too late', delayMs: 60_000 } },
      {
        reply: { content: 'Hi! You said: {{lastUserFirstLine}}. Nice to meet you.', chunkSize: 3, tokenIntervalMs: 60 },
      },
    ],
  });
  let server: WizProcess;
  let browser: Browser;
  let client: WizClient;

  beforeAll(async () => {
    server = await startServer({ store: 'postgres', iso, dataDir, llmUrl: await llm.start() });
    client = new WizClient({ baseUrl: server.baseUrl, WebSocket });
    browser = await openBrowser('console');
  });

  afterAll(async () => {
    client?.close();
    await browser?.close();
    await server?.stop();
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the console at / with an SPA fallback, leaving /api and /health to the gateway', async () => {
    const page = await fetch(`${server.baseUrl}/agents/anything`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<div id="app">');
    // Keys are not required here (loopback): the console opens without checking one.
    expect(html).toContain('<meta name="wiz-auth" content="off" />');
    const api = await fetch(`${server.baseUrl}/api/v1/nothing-here`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(((await api.json()) as { code: string }).code).toBe('not_found');
    expect((await fetch(`${server.baseUrl}/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
  });

  it('creates an agent, chats with it as the reply streams, runs a delegating job and cancels a slow one', async () => {
    const { page, shot } = browser;
    await page.goto(`${server.baseUrl}/`);
    await page.waitForURL('**/agents');
    await page.getByText('No agents yet').waitFor();
    await shot('01-agents-empty');

    await client.agents.create({ name: 'Helper', role: 'counts things for the team' });
    await page.getByRole('button', { name: 'New agent' }).click();
    await page.locator('input[name=name]').fill('Lead');
    await page.locator('input[name=role]').fill('leads the team and delegates');
    await page.locator('textarea[name=goal]').fill('get things done');
    await shot('02-agent-new');
    // A tool name that is no tool is refused, said under its field, and nothing is created.
    await page.locator('input[name=tools]').fill('raed_file');
    await page.getByRole('button', { name: 'Create agent' }).click();
    const toolsField = page.locator('label.field', { has: page.locator('input[name=tools]') });
    await toolsField.locator('.hint', { hasText: 'unknown tool "raed_file"' }).waitFor();
    expect(page.url()).toMatch(/\/agents\/new$/);
    expect((await client.agents.list({ limit: 10 })).items.map((a) => a.name)).toEqual(['Helper']);
    await page.locator('input[name=tools]').fill('');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.waitForURL(/\/agents\/[0-9a-f-]{36}$/);
    await page.getByRole('heading', { name: /Lead/ }).waitFor();
    const leadId = page.url().split('/').pop()!;
    await shot('03-agent');

    await page.getByRole('button', { name: 'Message' }).click();
    await page.waitForURL(/\/conversations\/[0-9a-f-]{36}$/);
    await page.getByRole('textbox', { name: 'message' }).fill('hello there');
    await page.keyboard.press('Enter');
    await page.locator('[data-streaming]').waitFor();
    await shot('04-chat-streaming');
    await page
      .locator('.bubble.agent:not(.streaming)', { hasText: 'Hi! You said: hello there. Nice to meet you.' })
      .waitFor();
    expect(await page.locator('[data-streaming]').count()).toBe(0);
    await shot('05-chat');

    await page.goto(`${server.baseUrl}/agents/${leadId}`);
    await page.getByPlaceholder('What should it do?').fill('DELEGATE: ask Helper to count to three');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    await page.locator('.timeline', { hasText: 'Completed' }).waitFor({ timeout: 30_000 });
    await page.locator('.result', { hasText: 'Helper says:' }).waitFor();
    await page.locator('.criteria li', { hasText: 'gives an answer the person can use' }).waitFor();
    await page.locator('.timeline code', { hasText: 'delegate_to_agent' }).first().waitFor();
    await page.locator('[data-child-job]', { hasText: 'Helper' }).waitFor();
    await shot('06-job-delegation');

    await page.keyboard.press('g');
    await page.keyboard.press('j');
    await page.waitForURL('**/jobs');
    await page.locator('tr[data-job]').nth(2).waitFor();
    await shot('07-jobs');

    const helper = (await client.agents.list()).items.find((a) => a.name === 'Helper')!;
    const slow = await client.jobs.create({ agentId: helper.id, input: 'SLOW: take your time' });
    await page.goto(`${server.baseUrl}/jobs/${slow.id}`);
    await page.locator('.page-head .badge', { hasText: 'active' }).waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.locator('.page-head .badge', { hasText: 'cancelled' }).waitFor();
    expect((await client.jobs.get(slow.id)).status).toBe('cancelled');
    await shot('08-job-cancelled');
  }, 180_000);

  it('lists a gated tool call in the approvals inbox, shows it on the parked job, and approving it completes the job', async () => {
    const { page, shot } = browser;
    // The Events page follows `owner` on a connection of its own: leaving it (without a reload)
    // leaves the navigation's badge its live subscription.
    await page.goto(`${server.baseUrl}/events`);
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /^Approvals/ })
      .click();
    await page.waitForURL('**/approvals');
    await page.getByText('No approvals waiting.').waitFor();
    await page.getByText('Set an approval policy on an agent to gate its tools.').waitFor();
    expect(await page.locator('[data-pending-count]').count()).toBe(0);
    await shot('17-approvals-empty');

    const agent = await client.agents.create({
      name: 'Gatekeeper',
      role: 'writes todos, with permission',
      loop: { planning: false },
      approvals: { todo_write: 'always' },
    });
    const job = await client.jobs.create({ agentId: agent.id, input: 'plan the release' });
    // Live: the open inbox shows the request as it is made, and the navigation counts it.
    const card = page.locator('[data-approval]', { hasText: 'todo_write' });
    await card.waitFor({ timeout: 20_000 });
    await page.locator('[data-pending-count]', { hasText: '1' }).waitFor();
    await card.getByText('Gatekeeper').waitFor();
    await card.getByText('deploy to prod').waitFor();
    await shot('18-approvals-inbox');

    // An edit is checked where it is typed: bad JSON, then arguments the tool does not take.
    await card.getByRole('button', { name: 'Edit arguments…' }).click();
    const editor = card.getByRole('textbox', { name: 'Arguments (JSON)' });
    await editor.fill('{ "todos": ');
    await card.getByRole('button', { name: 'Run with these arguments' }).click();
    await card.locator('.inline-error', { hasText: 'not valid JSON' }).waitFor();
    await editor.fill('{ "todos": "not a list" }');
    await card.getByRole('button', { name: 'Run with these arguments' }).click();
    await card.locator('.inline-error li').first().waitFor();
    expect(await card.locator('.inline-error').innerText()).toMatch(/todos/);
    await shot('19-approval-edit-error');
    expect((await client.approvals.list({ status: 'pending', jobId: job.id })).items).toHaveLength(1);
    await card.getByRole('button', { name: 'Back' }).click();

    // The parked job shows what it waits for, and takes a steering message.
    await card.getByRole('link', { name: /^job / }).click();
    await page.waitForURL(`**/jobs/${job.id}`);
    await page.locator('.page-head .badge', { hasText: 'waiting-input' }).waitFor();
    await page.locator('.waiting [data-approval]', { hasText: 'todo_write' }).waitFor();
    await page.getByRole('textbox', { name: 'Steer this job' }).fill('mention the date');
    await page.getByRole('button', { name: 'Send to the agent' }).click();
    await page.getByRole('status').filter({ hasText: 'Sent.' }).waitFor();
    await shot('20-job-waiting-input');

    // Back to the inbox with the keyboard; approve there.
    await page.locator('body').click();
    await page.keyboard.press('g');
    await page.keyboard.press('i');
    await page.waitForURL('**/approvals');
    await page.locator('[data-approval]').getByRole('button', { name: 'Approve' }).click();
    await page.getByText('No approvals waiting.').waitFor();
    await page.locator('[data-pending-count]').waitFor({ state: 'detached' });
    await shot('21-approvals-decided');
    await page.goto(`${server.baseUrl}/jobs/${job.id}`);
    await page.locator('.page-head .badge', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
    await page.locator('.result', { hasText: 'wrote it, dated:' }).waitFor();
    await shot('22-job-approved');
    const decided = (await client.approvals.list({ jobId: job.id })).items[0]!;
    expect(decided).toMatchObject({ status: 'approved', resolution: { decision: 'approve' } });
  }, 120_000);

  it('adds an http MCP server, lists it with header names only, shows its tools view as unreachable, deletes it', async () => {
    const { page, shot } = browser;
    await page.goto(`${server.baseUrl}/mcp-servers`);
    await page.locator('.empty', { hasText: 'No MCP servers yet.' }).waitFor();
    await page.locator('input[name=name]').fill('nowhere');
    await page.locator('input[name=url]').fill('http://127.0.0.1:9/mcp');
    await page.locator('textarea[name=headers]').fill('Authorization=Bearer s3cret-value');
    await page.getByRole('button', { name: 'Add server' }).click();
    const row = page.locator('.mcp-servers li', { hasText: 'nowhere' });
    await row.getByText('headers Authorization').waitFor();
    expect(await row.textContent()).toContain('http://127.0.0.1:9/mcp');
    expect(await page.locator('main').textContent()).not.toContain('s3cret-value');

    await row.getByRole('button', { name: 'Tools' }).click();
    const state = row.locator('.mcp-tools .badge');
    await state.waitFor({ timeout: 30_000 });
    expect(await state.textContent()).toMatch(/^(failed|refused)$/);
    await shot('17-mcp-servers');

    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.locator('.empty', { hasText: 'No MCP servers yet.' }).waitFor();
    expect((await client.mcpServers.list()).items).toEqual([]);
  }, 60_000);

  it('shows the other pages and fits a phone screen', async () => {
    const { page, shot } = browser;
    for (const [path, name, ready] of [
      ['/agents', '09-agents', '.agent-card'],
      ['/conversations', '10-conversations', '.list li'],
      ['/schedules', '11-schedules', 'text=No schedules'],
      ['/providers', '12-providers', 'text=No providers'],
      ['/keys', '13-keys', 'text=Create a key'],
    ] as const) {
      await page.goto(server.baseUrl + path);
      await page.locator(ready).first().waitFor();
      await shot(name);
    }
    await page.goto(`${server.baseUrl}/events`);
    await page.getByRole('button', { name: 'Subscribe' }).click();
    // Live frames only follow once the server confirmed the subscription (no `since` here).
    await page.locator('[data-following="owner"]').waitFor();
    const agent = await client.agents.create({ name: 'Watcher', role: 'is watched' });
    await page.locator('.frames li', { hasText: 'agent.created' }).waitFor();
    await shot('14-events');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.baseUrl}/agents`);
    await page.locator('.agent-card', { hasText: agent.name }).waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot('15-phone-agents');
    await page.getByRole('button', { name: 'Menu' }).click();
    await shot('16-phone-menu');
  }, 120_000);

  it('deletes a conversation from its page, says why it cannot while a job of it runs, and leaves one deleted elsewhere', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 1280, height: 800 });
    const agent = await client.agents.create({ name: 'Brief', role: 'answers briefly' });
    const dm = await client.conversations.create({
      kind: 'dm',
      agentId: agent.id,
      userId: 'console',
      userName: 'Console',
    });
    const posted = await client.messages.post(dm.id, { userId: 'console', content: 'hello' });
    await client.jobs.cancel(posted.jobIds[0]!).catch(() => undefined); // ended already: nothing to cancel
    await page.goto(`${server.baseUrl}/conversations/${dm.id}`);
    await page.getByRole('heading', { name: 'Brief' }).waitFor();

    // A job of it that has not ended: refused, the reason shown, nothing deleted.
    await client.agents.pause(agent.id);
    const queued = await client.messages.post(dm.id, { userId: 'console', content: 'later' });
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alert').filter({ hasText: queued.jobIds[0]! }).waitFor();
    expect((await client.conversations.get(dm.id)).id).toBe(dm.id);

    await client.jobs.cancel(queued.jobIds[0]!);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/\/conversations$/);
    await expect(client.conversations.get(dm.id)).rejects.toMatchObject({ status: 404 });

    // Deleted elsewhere while open: the page leaves for the list. A channel message that mentions
    // no agent (no job) shows once the page follows the topic.
    const project = await client.projects.create({ name: 'Console' });
    const channel = await client.conversations.create({
      kind: 'channel',
      projectId: project.id,
      name: 'gone-soon',
      agentIds: [agent.id],
      users: [{ userId: 'console' }],
    });
    await page.goto(`${server.baseUrl}/conversations/${channel.id}`);
    await page.getByText('Say hello').waitFor();
    await client.messages.post(channel.id, { userId: 'console', content: 'anyone here?' });
    await page.getByText('anyone here?').waitFor();
    await client.conversations.remove(channel.id);
    await page.waitForURL(/\/conversations$/);
  }, 60_000);
});
