import { z } from 'zod';
import { defineTool } from '../tool';

// The job's todo list, kept in its ActivityContext (so it survives a crash and a park).
export const todoRead = defineTool({
  name: 'todo_read',
  local: true,
  description: 'read your todo list for this job',
  input: z.object({}),
  handler: async (_args, ctx) => ({ todos: ctx.state.todos ?? [] }),
});
