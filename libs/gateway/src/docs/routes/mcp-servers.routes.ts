import {
  CreateMcpServerSchema,
  McpServerSchema,
  McpServerToolsSchema,
  PageQuerySchema,
  pageSchemaOf,
  UpdateMcpServerSchema,
} from '@wiz/contracts';
import type { ApiRoute } from './api-route';

export const MCP_SERVERS_ROUTES: ApiRoute[] = [
  {
    method: 'post',
    path: '/api/v1/mcp-servers',
    summary: 'add an MCP server as a tool source (header and env values stored encrypted, never returned)',
    tag: 'mcp',
    body: CreateMcpServerSchema,
    status: 201,
    response: McpServerSchema,
  },
  {
    method: 'get',
    path: '/api/v1/mcp-servers',
    summary: 'list MCP servers',
    tag: 'mcp',
    query: PageQuerySchema,
    status: 200,
    response: pageSchemaOf(McpServerSchema),
  },
  {
    method: 'get',
    path: '/api/v1/mcp-servers/:id',
    summary: 'get an MCP server',
    tag: 'mcp',
    status: 200,
    response: McpServerSchema,
  },
  {
    method: 'get',
    path: '/api/v1/mcp-servers/:id/tools',
    summary: "an MCP server's tools and connection state (asked of a runtime)",
    tag: 'mcp',
    status: 200,
    response: McpServerToolsSchema,
  },
  {
    method: 'patch',
    path: '/api/v1/mcp-servers/:id',
    summary: 'change an MCP server (given headers or env replace the stored ones)',
    tag: 'mcp',
    body: UpdateMcpServerSchema,
    status: 200,
    response: McpServerSchema,
  },
  {
    method: 'delete',
    path: '/api/v1/mcp-servers/:id',
    summary: 'delete an MCP server',
    tag: 'mcp',
    status: 204,
  },
];
