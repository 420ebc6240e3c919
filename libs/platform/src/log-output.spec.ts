import { PassThrough } from 'node:stream';
import pino from 'pino';
import { logDestination } from './log-output';

describe(logDestination.name, () => {
  it('keeps JSON lines (pino’s default stdout) when the output is not a terminal', () => {
    expect(logDestination(false)).toBeUndefined();
  });

  it('prints readable lines, not JSON, on a terminal', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    const log = pino({ name: 'wiz-test' }, logDestination(true, out));
    log.info({ jobId: 'j1' }, 'job started');
    await new Promise<void>((resolve) => log.flush(() => resolve()));
    await new Promise((resolve) => setImmediate(resolve));
    // eslint-disable-next-line no-control-regex
    const text = chunks.join('').replace(/\u001b\[\d+m/g, '');
    expect(text).toContain('job started');
    expect(text).toMatch(/INFO/);
    expect(text).toContain('jobId: "j1"');
    expect(() => JSON.parse(text)).toThrow();
  });
});
