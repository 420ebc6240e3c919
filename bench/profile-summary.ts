import { readFileSync } from 'node:fs';

// Summarises a V8 .cpuprofile (from `node --cpu-prof dist/bench/run.js --suite queue`): self time
// by area (package or Wiz folder) and the top functions by self time.
// usage: node dist/bench/profile-summary.js <file.cpuprofile> [topN]
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function main(file: string, top: number): void {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${shorten(url)}:${lineNumber + 1}`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
  }
  const show = (title: string, m: Map<string, number>, n: number) => {
    console.log(`\n${title}`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) {
      console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
    }
  };
  console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
  show('self time by area', areas, 25);
  show(`top ${top} functions by self time`, fns, top);

  // Native frames say little alone: where the top ones are called from (first non-native frames).
  const parent = new Map<number, number>();
  p.nodes.forEach((n) => n.children?.forEach((c) => parent.set(c, n.id)));
  const callers = new Map<string, number>();
  for (const [id, us] of self) {
    const { functionName, url } = byId.get(id)!.callFrame;
    if (url || functionName.startsWith('(')) continue;
    const chain: string[] = [];
    for (let up = parent.get(id); up !== undefined && chain.length < 4; up = parent.get(up)) {
      const f = byId.get(up)!.callFrame;
      if (f.url && !f.url.startsWith('node:'))
        chain.push(`${f.functionName || '(anonymous)'} ${shorten(f.url)}:${f.lineNumber + 1}`);
    }
    const key = `${functionName} ← ${chain.slice(0, 2).join(' ← ') || '(node internals only)'}`;
    callers.set(key, (callers.get(key) ?? 0) + us);
  }
  show('native self time by caller', callers, 15);
}

function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const wiz = /dist\/((?:apps|libs|bench)\/[^/]+)/.exec(url);
  if (wiz) return `wiz ${wiz[1]}`;
  if (url.startsWith('node:internal/deps/undici')) return 'node: undici (fetch)';
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/').slice(0, 2).join('/')}`;
  return url;
}

const shorten = (url: string) => url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, '');

main(process.argv[2] ?? '', Number(process.argv[3] ?? 30));
