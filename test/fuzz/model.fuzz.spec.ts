import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { http, HttpResult } from '../support/http';
import { cleanup, isolation } from '../support/isolation';
import { InProcessServer, startServerInProcess } from '../support/server-app';
import { settledJob } from '../support/settled-job';

// Named regression cases of issue 12 at the model boundary: what a hostile model asks a tool
// to do, through the real agent loop (the scripted model server calls the tools).
describe('hostile model inputs', () => {
  const iso = isolation('fuzzmodel');
  const root = mkdtempSync(join(tmpdir(), 'wiz-fuzz-ws-'));
  const outside = mkdtempSync(join(tmpdir(), 'wiz-fuzz-outside-'));
  const llm = new FakeLlmServer({
    rules: [
      { match: { hasToolResult: true }, reply: { content: 'Result: {{lastToolResult}}' } },
      {
        match: { lastUserContains: 'WRITE AAAA' },
        reply: {
          toolCalls: [{ name: 'write_file', arguments: { path: 'a.txt', content: `${'a'.repeat(5_000)}!\n` } }],
        },
      },
      {
        match: { lastUserContains: 'GREP REDOS' },
        reply: { toolCalls: [{ name: 'grep', arguments: { pattern: '(a+)+$' } }] },
      },
      {
        match: { lastUserContains: 'WRITE DANGLING' },
        reply: { toolCalls: [{ name: 'write_file', arguments: { path: 'dangling', content: 'escaped' } }] },
      },
    ],
  });
  let sut: InProcessServer;
  let api: (method: string, path: string, body?: unknown) => Promise<HttpResult>;
  let agentId: string;

  beforeAll(async () => {
    sut = await startServerInProcess(iso, await llm.start(), { WIZ_WORKSPACE_DIR: root });
    api = (method, path, body) => http(sut.baseUrl, method, path, body);
    agentId = (await api('POST', '/api/v1/agents', { name: 'Hostile', role: 'r', loop: { planning: false } })).body.id;
  });

  afterAll(async () => {
    await sut?.close();
    await llm.stop();
    await cleanup(iso);
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  const run = async (input: string) => {
    const job = (await api('POST', '/api/v1/jobs', { agentId, input })).body;
    return settledJob(api, job.id);
  };

  it('greps with (a+)+$ over a long line in linear time, the server answering meanwhile', async () => {
    expect(await run('WRITE AAAA')).toMatchObject({ status: 'completed' });
    const grep = run('GREP REDOS');
    // A backtracking engine would hold the event loop here for minutes: /health would wait with it.
    expect((await http(sut.baseUrl, 'GET', '/health')).status).toBe(200);
    const done = await grep;
    expect(done.status).toBe('completed');
    expect(done.result!.text).toMatch(/matches/);
  });

  it('refuses write_file through a dangling symbolic link, creating nothing outside the workspace', async () => {
    const dir = join(root, 'local', agentId);
    mkdirSync(dir, { recursive: true });
    symlinkSync(join(outside, 'created-by-write.txt'), join(dir, 'dangling'));
    const done = await run('WRITE DANGLING');
    expect(done.status).toBe('completed');
    expect(done.result!.text).toMatch(/link/);
    expect(existsSync(join(outside, 'created-by-write.txt'))).toBe(false);
  });
});
