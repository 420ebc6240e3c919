import { failSpan, GenAi, inSpan, startTimer, toolCallDuration } from '@wiz/telemetry';
import { jsonSchema, tool, ToolSet } from 'ai';
import { z } from 'zod';
import type { ToolSummary } from '../persona';
import type { ToolContext, ToolNeed, ToolRunContext, WizTool } from './tool';
import { askAgent } from './delegation/ask-agent.tool';
import { delegateToAgent } from './delegation/delegate-to-agent.tool';
import { listAgents } from './delegation/list-agents.tool';
import { sendMessageToAgent } from './delegation/send-message.tool';
import { postToChannel } from './conversations/post-to-channel.tool';
import { finish } from './core/finish.tool';
import { askHuman } from './human/ask-human.tool';
import { waitForSignal } from './human/wait-for-signal.tool';
import { remember } from './core/remember.tool';
import { reportProgress } from './core/report-progress.tool';
import { todoRead } from './core/todo-read.tool';
import { todoWrite } from './core/todo-write.tool';
import { createSubjob } from './jobs/create-subjob.tool';
import { memoryQuery } from './memory/memory-query.tool';
import { memorySave } from './memory/memory-save.tool';
import { listMyJobs } from './jobs/list-my-jobs.tool';
import { setSubjobPriority } from './jobs/set-subjob-priority.tool';
import { editFile } from './workspace/edit-file.tool';
import { globFiles } from './workspace/glob.tool';
import { grepFiles } from './workspace/grep.tool';
import { listDir } from './workspace/list-dir.tool';
import { readFile } from './workspace/read-file.tool';
import { writeFile } from './workspace/write-file.tool';
import { clip, globMatcher } from '@wiz/contracts';

// Every tool, once. Adding a tool: its file (`<name>.tool.ts`, one tool each), its name here and in
// @wiz/contracts' BUILT_IN_TOOL_NAMES (registry.spec.ts checks the two agree).
export const TOOLS: readonly WizTool[] = [
  reportProgress,
  remember,
  finish,
  todoRead,
  todoWrite,
  memorySave,
  memoryQuery,
  listAgents,
  delegateToAgent,
  askAgent,
  sendMessageToAgent,
  postToChannel,
  createSubjob,
  listMyJobs,
  setSubjobPriority,
  readFile,
  writeFile,
  editFile,
  listDir,
  grepFiles,
  globFiles,
  askHuman,
  waitForSignal,
] as WizTool[];

/** Always offered: the loop ends with it. */
const CORE = new Set(['finish']);

/**
 * The built-in tools an agent may use: those its allow-list names or matches (globs, plus
 * `finish`), or every tool that is not opt-in.
 */
export function toolsFor(allow: readonly string[] | null): WizTool[] {
  if (!allow) return TOOLS.filter((t) => !t.optIn);
  const allowed = globMatcher(allow);
  return TOOLS.filter((t) => allowed(t.name) || CORE.has(t.name));
}

export const summariesOf = (tools: readonly WizTool[]): ToolSummary[] =>
  tools.map((t) => ({ name: t.name, description: t.description }));

const MAX_ERROR_CHARS = 1_000;

// One `execute_tool {tool}` span and duration sample per call; a refused or failed call is an error.
async function toolSpan<T>(name: string, toolCallId: string, run: () => Promise<T>): Promise<T> {
  const elapsed = startTimer();
  const attributes = { [GenAi.operation]: 'execute_tool', [GenAi.toolName]: name, [GenAi.toolCallId]: toolCallId };
  return inSpan(`execute_tool ${name}`, { attributes }, async (span) => {
    const out = await run();
    const error = toolErrorOf(out);
    if (error) failSpan(span, new Error(error), 'tool_error');
    toolCallDuration.observe({ tool: name, outcome: error ? 'error' : 'ok' }, elapsed());
    return out;
  });
}

// A tool's JSON Schema for the model, made once per tool (not per job: zod's conversion shows
// in the CPU profile of every step).
const schemas = new WeakMap<WizTool, ReturnType<typeof jsonSchema>>();
function schemaOf(t: WizTool): ReturnType<typeof jsonSchema> {
  let schema = schemas.get(t);
  if (!schema)
    schemas.set(t, (schema = jsonSchema((t.jsonSchema ?? z.toJSONSchema(t.input, { io: 'input' })) as never)));
  return schema;
}

// The AI SDK view of the tools. The SDK does not validate here: the arguments are parsed with the
// tool's zod schema first, and an invalid call or a handler's error becomes the tool result
// `{ error }` that the model reads, so the loop goes on (the SDK would pass an Error object the
// provider serialises as `{}`).
// `context` gives a tool's handler its context (with the collaborators the tool declared).
// `gate`: every call with valid arguments passes it first (approval policies); a value it
// returns is the call's result (the placeholder of a call waiting for a person).
// `ready`: awaited before a call of a tool that is not `local` (the run's saves committed).
export function toAiTools(
  tools: readonly WizTool[],
  context: (toolCallId: string, tool: WizTool) => ToolRunContext,
  gate?: (t: WizTool, args: unknown, toolCallId: string) => unknown,
  ready?: () => Promise<void>,
): ToolSet {
  const set: ToolSet = {};
  for (const t of tools) {
    set[t.name] = tool({
      description: t.description,
      inputSchema: schemaOf(t),
      execute: async (raw: unknown, { toolCallId }) => {
        if (!t.local) await ready?.();
        return runTool(t, raw, toolCallId, context, gate);
      },
    });
  }
  return set;
}

/**
 * One call of `t` (an `execute_tool` span, approved calls resumed after a park included):
 * arguments parsed, the gate passed, the handler run, errors as results.
 */
export function runTool(
  t: WizTool,
  raw: unknown,
  toolCallId: string,
  context: (toolCallId: string, tool: WizTool) => ToolRunContext,
  gate?: (t: WizTool, args: unknown, toolCallId: string) => unknown,
): Promise<unknown> {
  return toolSpan(t.name, toolCallId, async () => {
    const args = t.input.safeParse(raw ?? {});
    if (!args.success)
      return { error: clip(`invalid arguments for ${t.name}: ${z.prettifyError(args.error)}`, MAX_ERROR_CHARS) };
    const held = gate?.(t, args.data, toolCallId);
    if (held !== undefined) return held;
    try {
      return (await t.handler(args.data, context(toolCallId, t) as ToolContext<ToolNeed>)) ?? { ok: true };
    } catch (e) {
      return { error: clip(e instanceof Error ? e.message : String(e), MAX_ERROR_CHARS) };
    }
  });
}

/** A tool's input as JSON Schema (stored with an approval: what an edit must fit). */
export const inputJsonSchemaOf = (t: WizTool): Record<string, unknown> =>
  z.toJSONSchema(t.input, { io: 'input' }) as Record<string, unknown>;

/** A tool result that reports a refusal or a failure. */
export const toolErrorOf = (output: unknown): string | undefined => {
  const e = (output as { error?: unknown } | null)?.error;
  return typeof e === 'string' ? e : undefined;
};
