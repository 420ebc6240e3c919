import { RE2JS } from 're2js';
import { globMatch } from '@wiz/contracts';
import type { ApprovalPolicies, ArgCondition, ToolPolicy } from '@wiz/contracts';

/** A gated call: why, and how long a person has to decide. */
export interface ApprovalNeed {
  reason: string;
  timeoutSec: number | null;
  onTimeout: 'reject' | 'approve';
}

/**
 * The policy of `tool`: the agent's entries first, then its owner's default; within each, an
 * exact name wins over globs, and a longer glob over a shorter one. None: `never`.
 */
export function policyFor(
  tool: string,
  agent: ApprovalPolicies | null,
  owner: ApprovalPolicies | null,
): [string, ToolPolicy] | null {
  for (const policies of [agent, owner]) {
    if (!policies) continue;
    if (Object.hasOwn(policies, tool)) return [tool, policies[tool]];
    const globs = Object.keys(policies)
      .filter((k) => /[*?]/.test(k) && globMatch(k, tool))
      .sort((a, b) => b.length - a.length);
    if (globs.length) return [globs[0], policies[globs[0]]];
  }
  return null;
}

/** Whether a call with `args` must wait for a person, under the policy found for its tool. */
export function approvalNeeded(found: [string, ToolPolicy] | null, args: unknown): ApprovalNeed | null {
  if (!found) return null;
  const [key, policy] = found;
  if (policy === 'never') return null;
  if (policy === 'always') return { reason: `policy ${key}: always`, timeoutSec: null, onTimeout: 'reject' };
  const when = policy.when ?? [];
  if (!when.every((c) => holds(c, args))) return null;
  const why = when.length
    ? when.map((c) => `${c.path} ${c.op}${c.op === 'exists' ? '' : ` ${JSON.stringify(c.value)}`}`)
    : ['always'];
  return {
    reason: `policy ${key}: ${why.join(' and ')}`,
    timeoutSec: policy.timeoutSec ?? null,
    onTimeout: policy.onTimeout ?? 'reject',
  };
}

function holds(c: ArgCondition, args: unknown): boolean {
  const v = valueAt(args, c.path);
  switch (c.op) {
    case 'exists':
      return v !== undefined;
    case 'eq':
      return v !== undefined && JSON.stringify(v) === JSON.stringify(c.value);
    case 'neq':
      return JSON.stringify(v) !== JSON.stringify(c.value);
    case 'in':
      return Array.isArray(c.value) && c.value.some((x) => JSON.stringify(x) === JSON.stringify(v));
    case 'gt':
      return typeof v === 'number' && v > (c.value as number);
    case 'lt':
      return typeof v === 'number' && v < (c.value as number);
    case 'matches':
      // RE2: linear time whatever the model put in the arguments.
      return (
        typeof v === 'string' &&
        compiled(c.value as string)
          .matcher(v)
          .find()
      );
  }
}

const cache = new Map<string, RE2JS>();
function compiled(re: string): RE2JS {
  let r = cache.get(re);
  if (!r) {
    if (cache.size > 1_000) cache.clear();
    cache.set(re, (r = RE2JS.compile(re)));
  }
  return r;
}

function valueAt(args: unknown, path: string): unknown {
  let v: unknown = args;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}
