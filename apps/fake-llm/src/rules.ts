import { z } from 'zod';

// A regex that does not compile is a script bug: reject it when the rule is loaded, not per request.
const RegexSourceSchema = z.string().refine(isValidRegex, { message: 'not a valid regular expression' });

export const FakeLlmToolCallSchema = z.object({
  name: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()),
});

export const FakeLlmMatchSchema = z.strictObject({
  model: z.string().optional(),
  lastUserContains: z.string().optional(),
  lastUserRegex: RegexSourceSchema.optional(),
  systemContains: z.string().optional(),
  anyMessageContains: z.string().optional(),
  hasTools: z.boolean().optional(),
  // True when a tool result arrived after the last user message, i.e. the tool loop's next step.
  hasToolResult: z.boolean().optional(),
});

export const FakeLlmReplySchema = z.strictObject({
  // Supports {{lastUser}}, {{lastUserFirstLine}} (without the job data Wiz appends) and {{lastToolResult}}. Without content and toolCalls the reply echoes.
  content: z.string().optional(),
  toolCalls: z.array(FakeLlmToolCallSchema).min(1).optional(),
  status: z.number().int().min(400).max(599).optional(),
  errorMessage: z.string().optional(),
  delayMs: z.number().int().min(0).max(600_000).optional(),
  chunkSize: z.number().int().min(1).optional(),
  // Streamed replies only: wait this long between chunks (a slow model: 50 = 20 chunks/s).
  tokenIntervalMs: z.number().int().min(0).max(60_000).optional(),
});

// Strict objects so a typo in a script ("lastUserContain") fails loudly instead of matching everything.
export const FakeLlmRuleSchema = z.strictObject({
  match: FakeLlmMatchSchema.optional(),
  reply: FakeLlmReplySchema,
  times: z.number().int().min(1).optional(),
});

// What scripts, the admin endpoint and the CLI accept: one rule or a list.
export const FakeLlmRulesInputSchema = z.union([FakeLlmRuleSchema, z.array(FakeLlmRuleSchema)]);

export type FakeLlmToolCall = z.infer<typeof FakeLlmToolCallSchema>;
export type FakeLlmMatch = z.infer<typeof FakeLlmMatchSchema>;
export type FakeLlmReply = z.infer<typeof FakeLlmReplySchema>;
export type FakeLlmRule = z.infer<typeof FakeLlmRuleSchema>;

// The parts of a chat request that rules look at, extracted once per request.
export interface ChatRequestView {
  model: string;
  system: string;
  lastUser: string;
  lastToolResult: string;
  allText: string;
  promptChars: number;
  hasTools: boolean;
  hasToolResult: boolean;
}

export const DEFAULT_MODEL = 'fake-model';

export function toRuleList(input: FakeLlmRule | readonly FakeLlmRule[]): FakeLlmRule[] {
  return Array.isArray(input) ? [...input] : [input as FakeLlmRule];
}

export function readChatRequest(body: Record<string, unknown>, messages: readonly unknown[]): ChatRequestView {
  const texts: string[] = [];
  const system: string[] = [];
  let lastUser = '';
  let lastToolResult = '';
  let hasToolResult = false;
  for (const message of messages) {
    if (!isRecord(message)) continue;
    const text = contentText(message.content);
    texts.push(text);
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(text);
        break;
      case 'user':
        lastUser = text;
        hasToolResult = false;
        break;
      case 'tool':
      case 'function':
        lastToolResult = text;
        hasToolResult = true;
        break;
    }
  }
  const allText = texts.join('\n');
  return {
    model: typeof body.model === 'string' ? body.model : DEFAULT_MODEL,
    system: system.join('\n'),
    lastUser,
    lastToolResult,
    allText,
    promptChars: allText.length,
    hasTools: nonEmptyArray(body.tools) || nonEmptyArray(body.functions),
    hasToolResult,
  };
}

export function ruleMatches(rule: FakeLlmRule, view: ChatRequestView): boolean {
  const m = rule.match;
  if (!m) return true;
  if (m.model !== undefined && m.model !== view.model) return false;
  if (m.lastUserContains !== undefined && !view.lastUser.includes(m.lastUserContains)) return false;
  if (m.lastUserRegex !== undefined && !compiled(m.lastUserRegex).test(view.lastUser)) return false;
  if (m.systemContains !== undefined && !view.system.includes(m.systemContains)) return false;
  if (m.anyMessageContains !== undefined && !view.allText.includes(m.anyMessageContains)) return false;
  if (m.hasTools !== undefined && m.hasTools !== view.hasTools) return false;
  if (m.hasToolResult !== undefined && m.hasToolResult !== view.hasToolResult) return false;
  return true;
}

// Index of the first rule that matches and still has uses left, or -1 for the default echo.
export function selectRule(rules: readonly FakeLlmRule[], fired: readonly number[], view: ChatRequestView): number {
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    if (rule.times !== undefined && fired[i] >= rule.times) continue;
    if (ruleMatches(rule, view)) return i;
  }
  return -1;
}

export function replyContent(reply: FakeLlmReply | undefined, view: ChatRequestView): string | undefined {
  if (reply?.content !== undefined) return renderTemplate(reply.content, view);
  return reply?.toolCalls ? undefined : `echo: ${view.lastUser}`;
}

// A function replacer so `$&`-style sequences in user text are copied literally.
export function renderTemplate(template: string, view: ChatRequestView): string {
  return template.replace(
    /\{\{(lastUser|lastUserFirstLine|lastToolResult)\}\}/g,
    (_, key: 'lastUser' | 'lastUserFirstLine' | 'lastToolResult') =>
      key === 'lastUserFirstLine' ? view.lastUser.split('\n')[0]! : view[key],
  );
}

// OpenAI content is a string, null (assistant tool calls) or an array of typed parts.
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (isRecord(part) && typeof part.text === 'string') text += part.text;
  }
  return text;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyArray(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

const regexCache = new Map<string, RegExp>();

function compiled(source: string): RegExp {
  let regex = regexCache.get(source);
  if (!regex) {
    regex = new RegExp(source);
    regexCache.set(source, regex);
  }
  return regex;
}

function isValidRegex(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
