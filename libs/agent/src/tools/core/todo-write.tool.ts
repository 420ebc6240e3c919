import { z } from 'zod';
import { defineTool } from '../tool';

const Todo = z.object({ text: z.string().min(1).max(1_000), done: z.boolean().default(false) });

// The job's todo list, kept in its ActivityContext (so it survives a crash and a park).
export const todoWrite = defineTool({
  name: 'todo_write',
  local: true,
  description: 'replace your todo list for this job (items: text, done)',
  input: z.object({ todos: z.array(Todo).max(100) }),
  handler: async ({ todos }, ctx) => {
    ctx.state.todos = todos;
    return { ok: true, count: todos.length };
  },
});
