import { RE2JS } from 're2js';
import { ToolError } from '../tool';

export interface LinearRegex {
  test(s: string): boolean;
}

// A model's pattern is hostile input: JavaScript's backtracking RegExp can take exponential
// time (`(a+)+$`) and block the event loop. RE2 matches in time linear in the input; it has no
// lookaround or backreferences, and says so in its error.
export function compileRegex(pattern: string, ignoreCase = false): LinearRegex {
  try {
    return RE2JS.compile(pattern, ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (e) {
    throw new ToolError(`invalid regular expression (RE2 syntax): ${(e as Error).message}`);
  }
}
