import type { ConversationJobData } from '@wiz/contracts';
import type { ContextMessage } from '@wiz/persistence';

/** Most characters of the summary of older history. */
export const SUMMARY_MAX_CHARS = 2_000;
/** Characters of each older message kept in the summary. */
const SUMMARY_LINE_CHARS = 120;

const speaker = (m: ContextMessage) => m.authorName ?? m.authorId;

/**
 * What `agentId` is given with a new message: the last `window` messages before it (oldest
 * first), as that agent sees them — its own messages are `assistant`, everyone else's `user`,
 * named in channels — and the older ones summarised. Deleted messages and notices (role
 * `system`: apologies) are left out.
 *
 * The summary is a deterministic truncation (each older message cut to a line, the newest
 * kept within SUMMARY_MAX_CHARS), not a model-written summary: that can replace it later.
 */
export function buildContext(
  history: readonly ContextMessage[],
  agentId: string,
  window: number,
  named: boolean,
  truncatedBefore: boolean,
): Pick<ConversationJobData, 'conversation' | 'summary'> {
  const usable = history.filter((m) => !m.deletedAt && (m.role === 'user' || m.role === 'assistant'));
  const recent = window > 0 ? usable.slice(-window) : [];
  const older = usable.slice(0, usable.length - recent.length);
  const conversation = recent.map((m) => {
    const own = m.authorKind === 'agent' && m.authorId === agentId;
    return {
      role: own ? ('assistant' as const) : ('user' as const),
      content: named && !own ? `${speaker(m)}: ${m.content}` : m.content,
    };
  });
  if (!older.length) return { conversation };
  return { conversation, summary: summarise(older, truncatedBefore) };
}

function summarise(older: readonly ContextMessage[], truncatedBefore: boolean): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = older.length - 1; i >= 0; i--) {
    const m = older[i]!;
    const text = m.content.replace(/\s+/g, ' ').trim();
    const line = `${speaker(m)}: ${text.length > SUMMARY_LINE_CHARS ? `${text.slice(0, SUMMARY_LINE_CHARS - 1)}…` : text}`;
    if (size + line.length + 1 > SUMMARY_MAX_CHARS) {
      truncatedBefore = true;
      break;
    }
    lines.unshift(line);
    size += line.length + 1;
  }
  const head = `Earlier in this conversation (${lines.length} older message${lines.length === 1 ? '' : 's'}, shortened${truncatedBefore ? '; older ones left out' : ''}):`;
  return [head, ...lines].join('\n');
}

/**
 * The agents a channel message mentions (`@Name`, case-insensitive, the name followed by a
 * non-word character or the end). A longer name wins over a shorter one at the same place
 * ("@Ada Lovelace" mentions "Ada Lovelace", not "Ada").
 */
export function mentionedAgents(content: string, agents: Array<{ id: string; name: string }>): string[] {
  const claimed = new Set<number>();
  const found: string[] = [];
  for (const a of [...agents].sort((x, y) => y.name.length - x.name.length)) {
    const escaped = a.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`(^|[^\\w@])@${escaped}(?![\\w])`, 'giu');
    let hit = false;
    for (const match of content.matchAll(re)) {
      const at = match.index + match[1]!.length;
      if (claimed.has(at)) continue;
      claimed.add(at);
      hit = true;
    }
    if (hit) found.push(a.id);
  }
  return found;
}
