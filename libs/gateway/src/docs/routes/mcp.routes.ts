import type { ApiRoute } from './api-route';

// Wiz as an MCP server (streamable HTTP, stateless): JSON-RPC bodies, described by the MCP spec.
export const MCP_ROUTES: ApiRoute[] = [
  {
    method: 'post',
    path: '/mcp',
    summary:
      'MCP (streamable HTTP, stateless): your agents as ask_<name> tools, list_agents and get_job. Send "Accept: application/json, text/event-stream"',
    tag: 'mcp',
    status: 200,
  },
  {
    method: 'get',
    path: '/mcp',
    summary: 'no server-initiated stream (stateless): 405',
    tag: 'mcp',
    status: 405,
  },
  {
    method: 'delete',
    path: '/mcp',
    summary: 'no session to end (stateless): 405',
    tag: 'mcp',
    status: 405,
  },
];
