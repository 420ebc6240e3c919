import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WizClient } from '@wiz/client';
import { FakeLlmServer } from '../../apps/fake-llm/src/fake-llm.server';
import { Browser, openBrowser } from '../support/browser';
import { cleanup, isolation } from '../support/isolation';
import { startServer, WizProcess } from '../support/wiz-process';

// The web console on a server that requires API keys: it asks for one before any request, checks
// a stored one, keeps it for the tab, and forgets it on sign-out.
describe('web console with authentication on', () => {
  const iso = isolation('console-auth');
  const dataDir = mkdtempSync(join(tmpdir(), 'wiz-console-auth-'));
  const adminKey = `adm_${randomBytes(24).toString('hex')}`;
  const llm = new FakeLlmServer({ rules: [{ reply: { content: 'ok' } }] });
  let server: WizProcess;
  let browser: Browser;
  let key: string;

  beforeAll(async () => {
    server = await startServer({
      store: 'sqlite',
      iso,
      dataDir,
      llmUrl: await llm.start(),
      env: { WIZ_AUTH: 'on', WIZ_ADMIN_KEY: adminKey },
    });
    const admin = new WizClient({ baseUrl: server.baseUrl, apiKey: adminKey });
    key = (await admin.keys.create({ ownerId: 'team:console' })).key;
    await new WizClient({ baseUrl: server.baseUrl, apiKey: key }).agents.create({ name: 'Keyed', role: 'shown' });
    browser = await openBrowser('console-auth');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await llm.stop();
    await cleanup(iso);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says in the page that keys are required', async () => {
    const page = await fetch(`${server.baseUrl}/agents`, { headers: { accept: 'text/html' } });
    expect(await page.text()).toContain('<meta name="wiz-auth" content="on" />');
    const direct = await fetch(`${server.baseUrl}/index.html`);
    expect(await direct.text()).toContain('<meta name="wiz-auth" content="on" />');
  });

  it('asks for a key without a failed request, signs in, keeps the key on reload, and signs out', async () => {
    const { page, shot } = browser;
    const apiCalls: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/api/') || path === '/ws') apiCalls.push(`${r.method()} ${path}`);
    });
    await page.goto(`${server.baseUrl}/agents`);
    await page.getByText('This server needs an API key').waitFor();
    expect(apiCalls).toEqual([]);
    await shot('01-sign-in');

    await page.locator('input[type=password]').fill('wiz_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByText('Keyed').count()).toBe(0);

    await page.locator('input[type=password]').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.agent-card', { hasText: 'Keyed' }).waitFor();

    // A stored key is checked, then used: the page opens signed in.
    await page.reload();
    await page.locator('.agent-card', { hasText: 'Keyed' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('This server needs an API key').waitFor();
    await page.reload();
    await page.getByText('This server needs an API key').waitFor();
  });
});
