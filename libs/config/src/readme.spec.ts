import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeConfig } from './config.schema';

// The README's configuration table is the user's reference: it must list every variable with
// its real default.
describe('README configuration table', () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

  it.each(describeConfig().map((r) => [r.name, r.default] as const))('documents %s', (name, def) => {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
    expect(row).toBeDefined();
    expect(row).toContain(def === '' ? '(empty)' : `\`${def}\``);
  });
});
