import { z } from 'zod';

// MCP servers: tool sources an owner adds. Header values (http) and environment values (stdio)
// are secrets: they go in, are stored encrypted, and only their names come out.

/** A server's name prefixes its tools (`<server>__<tool>`): no `__` inside, fits a tool name. */
export const McpServerNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]*(_[a-z0-9-]+)*$/, 'lower-case letters, digits, "-" and single "_", starting with a letter')
  .max(32);

const HeaderNameSchema = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'an HTTP header name');
const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/, 'an environment variable name');
const SecretMap = <K extends z.ZodString>(key: K) =>
  z.record(key, z.string().max(8_192)).refine((m) => Object.keys(m).length <= 32, 'at most 32 entries');

export const McpHttpFieldsSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2_000),
  headers: SecretMap(HeaderNameSchema).optional(),
});
export const McpStdioFieldsSchema = z.strictObject({
  command: z.string().min(1).max(1_000),
  args: z.array(z.string().max(4_000)).max(64).optional(),
  env: SecretMap(EnvNameSchema).optional(),
});

export const CreateMcpServerSchema = z.discriminatedUnion('transport', [
  McpHttpFieldsSchema.extend({ name: McpServerNameSchema, transport: z.literal('http') }),
  McpStdioFieldsSchema.extend({ name: McpServerNameSchema, transport: z.literal('stdio') }),
]);
export type CreateMcpServer = z.infer<typeof CreateMcpServerSchema>;

/** A change: the given fields replace the stored ones (headers/env as a whole). */
export const UpdateMcpServerSchema = z
  .strictObject({
    name: McpServerNameSchema.optional(),
    url: McpHttpFieldsSchema.shape.url.optional(),
    headers: McpHttpFieldsSchema.shape.headers,
    command: McpStdioFieldsSchema.shape.command.optional(),
    args: McpStdioFieldsSchema.shape.args,
    env: McpStdioFieldsSchema.shape.env,
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
export type UpdateMcpServer = z.infer<typeof UpdateMcpServerSchema>;

export const McpTransportSchema = z.enum(['http', 'stdio']);
export type McpTransport = z.infer<typeof McpTransportSchema>;

export const McpServerSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  transport: McpTransportSchema,
  url: z.string().nullable(),
  command: z.string().nullable(),
  args: z.array(z.string()),
  /** Names of the stored headers (values never come out). */
  headerNames: z.array(z.string()),
  /** Names of the stored environment variables (values never come out). */
  envNames: z.array(z.string()),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type McpServer = z.infer<typeof McpServerSchema>;

export const McpConnectionStateSchema = z.enum(['connected', 'failed', 'refused']);
export const McpToolInfoSchema = z.object({
  /** The name agents see (`<server>__<tool>`). */
  name: z.string(),
  /** The server's own name for it. */
  serverTool: z.string(),
  description: z.string(),
  inputSchema: z.record(z.string(), z.unknown()),
});
export type McpToolInfo = z.infer<typeof McpToolInfoSchema>;

// GET /api/v1/mcp-servers/:id/tools, and the runtime's reply to the gateway's bus request.
export const McpServerToolsSchema = z.object({
  state: McpConnectionStateSchema,
  /** Why the server could not be reached (no secret in it). */
  error: z.string().optional(),
  tools: z.array(McpToolInfoSchema),
});
export type McpServerTools = z.infer<typeof McpServerToolsSchema>;

// Core NATS request/reply from a gateway to one runtime: list a server's tools. Only ids travel;
// the runtime loads the server and opens its secrets itself.
export const McpToolsRequestSchema = z.object({ ownerId: z.string().min(1).max(100), serverId: z.uuid() });
export type McpToolsRequest = z.infer<typeof McpToolsRequestSchema>;
