import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT as ROOT } from './repo-root';

export interface BuildSnapshot {
  root: string;
  remove(): void;
}

/**
 * A private copy of `dist/` (with `node_modules` linked beside it), so that every process a test
 * starts, restarts included, runs the same build even if `npm run build` runs again meanwhile.
 * A copy taken mid-build (a `require("@wiz/…")` that tsc-alias has not rewritten yet, or a
 * missing entry) is taken again until it is whole.
 */
export async function snapshotBuild(timeoutMs = 60_000): Promise<BuildSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const root = mkdtempSync(join(tmpdir(), 'wiz-build-'));
    const remove = () => rmSync(root, { recursive: true, force: true });
    let problem: string | null;
    try {
      cpSync(join(ROOT, 'dist'), join(root, 'dist'), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
      problem = incomplete(join(root, 'dist'));
    } catch (e) {
      problem = String(e);
    }
    if (!problem) return { root, remove };
    remove();
    if (Date.now() > deadline) throw new Error(`no complete build in dist/ (run \`npm run build\`): ${problem}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function incomplete(dist: string): string | null {
  for (const entry of ['gateway', 'runtime']) {
    if (!existsSync(join(dist, 'apps', entry, 'src', 'main.js'))) return `dist/apps/${entry}/src/main.js is missing`;
  }
  for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
    // A regex: this file is in the build too (the bench uses it), and must not match itself.
    if (file.endsWith('.js') && /require\("@wiz\//.test(readFileSync(join(dist, file), 'utf8')))
      return `${file} is not rewritten yet`;
  }
  return null;
}
