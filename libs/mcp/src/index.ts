export { McpModule } from './mcp.module';
export { McpPool } from './mcp-pool.service';
export { McpConnection } from './mcp-connection';
export type { McpTarget } from './mcp-connection';
export { agentToolName, mayNameServer } from './tool-names';
