import { compileRegex, LinearRegex } from './linear-regex';

// A glob pattern as a regular expression over `/`-separated relative paths: `**` any depth,
// `*` and `?` within one segment, `{a,b}` alternatives. (Small on purpose: the only glob
// library in the tree is a transitive dependency, and these four forms are what models use.)
// Matched by RE2: a pattern of many `**` would make a backtracking RegExp take exponential time.
export function globToRegExp(glob: string): LinearRegex {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '{') re += '(?:';
    else if (c === '}') re += ')';
    else if (c === ',') re += '|';
    else re += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return compileRegex(`^${re}$`);
}
