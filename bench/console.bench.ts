import { readdirSync, readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { WizClient } from '@wiz/client';
import { createApp } from '@wiz/platform';
import { attachGateway } from '@wiz/gateway';
import { attachRuntime } from '@wiz/runtime';
import { ServerAppModule } from '../apps/server/src/server.module';
import { BenchOptions, SuiteResult } from './suite';
import { benchConfig, Cleanup, deleteStreams, dropSchema, isolation, percentile, round, startFakeLlm } from './support';

const DIST = join(__dirname, '..', 'console');
const AGENTS = 20;
const LOADS = 7;

/** The built console's files as the browser gets them: gzip at level 9, in KB. */
function bundleGzipKb(): { js: number; css: number; total: number } {
  const assets = join(DIST, 'assets');
  const size = (ext: string) =>
    readdirSync(assets)
      .filter((f) => f.endsWith(ext))
      .reduce((n, f) => n + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0);
  const html = gzipSync(readFileSync(join(DIST, 'index.html')), { level: 9 }).length;
  const js = size('.js');
  const css = size('.css');
  return { js: round(js / 1024, 1), css: round(css / 1024, 1), total: round((js + css + html) / 1024, 1) };
}

// The web console: its bundle's gzip size, and the time from navigation to the agents list
// rendered (20 agents) in Debian's Chromium, each load in a fresh browser context (no cache).
export async function consoleBench(_o: BenchOptions): Promise<SuiteResult> {
  const size = bundleGzipKb();
  const cleanup = new Cleanup();
  const iso = isolation('console');
  cleanup.add('drop schema', () => dropSchema(iso.schema));
  cleanup.add('delete streams', () => deleteStreams(iso.prefix));
  try {
    const llm = await startFakeLlm();
    cleanup.add('stop fake-llm', llm.stop);
    const config = benchConfig(iso, llm.baseUrl);
    const app = await createApp(ServerAppModule.forRoot(config));
    cleanup.add('close server', () => app.close());
    attachGateway(app);
    attachRuntime(app, config);
    await app.startAllMicroservices();
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    const client = new WizClient({ baseUrl: base });
    for (let i = 0; i < AGENTS; i++) await client.agents.create({ name: `Agent ${i}`, role: 'a benchmark persona' });

    const profile = mkdtempSync(join(tmpdir(), 'wiz-bench-chromium-'));
    cleanup.add('remove profile', async () => rmSync(profile, { recursive: true, force: true }));
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    cleanup.add('close chromium', () => browser.close());
    const times: number[] = [];
    for (let i = 0; i < LOADS; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${base}/agents`, { waitUntil: 'commit' });
      // performance.now() counts from the navigation's start, in the page's own clock.
      const at = await page.waitForFunction(
        `document.querySelectorAll('.agent-card').length >= ${AGENTS} ? performance.now() : false`,
        undefined,
        { polling: 'raf', timeout: 30_000 },
      );
      times.push(Number(await at.jsonValue()));
      await context.close();
    }
    times.sort((a, b) => a - b);
    return {
      figures: {
        'console.bundleGzipKB': size.total,
        'console.agentsListMs.p50': round(percentile(times, 50), 0),
        'console.agentsListMs.max': round(times.at(-1)!, 0),
      },
      context: {
        'console bundle (gzip, JS + CSS + HTML)': `${size.total} KB (JS ${size.js} KB, CSS ${size.css} KB; target < 200 KB)`,
        'console: navigation → agents list rendered': `${AGENTS} agents, ${LOADS} cold loads in Chromium (target < 1000 ms)`,
      },
    };
  } finally {
    const errors = await cleanup.run();
    if (errors.length) console.error(`bench console cleanup: ${errors.join('; ')}`);
  }
}
