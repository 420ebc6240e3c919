// Globs over names (`*`: any run of characters, `?`: one; everything else literal), one matcher
// for every place a tenant names things by glob: webhooks' and subscriptions' event types,
// approval policies' tools, tool allow-lists.
//
// Matched without a regular expression: a glob of many stars compiled to `.*.*.*…` backtracks
// exponentially on a name it does not match (12 stars and an `x` took 3 s against
// `job.waiting-children`; 14 stars 85 s against a tool name), and globs come from tenants. This
// walk is linear in the name's length for each star at most: it backtracks only to the last star.
/** Whether `name` matches `glob`. */
export function globMatch(glob: string, name: string): boolean {
  let g = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < name.length) {
    const c = glob[g];
    if (c === '*') {
      star = g++;
      resume = t;
    } else if (c !== undefined && (c === '?' || c === name[t])) {
      g++;
      t++;
    } else if (star >= 0) {
      g = star + 1;
      t = ++resume;
    } else return false;
  }
  while (glob[g] === '*') g++;
  return g === glob.length;
}

/** A test of names against `globs` (any one matching); plain names are a set look-up. */
export function globMatcher(globs: readonly string[]): (name: string) => boolean {
  const names = new Set<string>();
  const patterns: string[] = [];
  for (const g of globs) {
    if (/[*?]/.test(g)) patterns.push(g);
    else names.add(g);
  }
  return (name) => names.has(name) || patterns.some((g) => globMatch(g, name));
}
