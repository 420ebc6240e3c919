// A real MCP server over stdio (the official SDK), run with node by the stdio tests: the same
// tools as the HTTP test server, and `env` answers the variable WIZ_TEST_TOKEN it was given.
const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');

const server = new McpServer({ name: 'stdio-probe', version: '1.0.0' });
server.registerTool('env', { description: 'whether WIZ_TEST_TOKEN is set' }, async () => ({
  content: [{ type: 'text', text: process.env.WIZ_TEST_TOKEN ? 'token is set' : 'no token' }],
}));
server.registerTool('echo', { description: 'echoes its input' }, async (args) => ({
  content: [{ type: 'text', text: `stdio echo ${JSON.stringify(args ?? {})}` }],
}));
void server.connect(new StdioServerTransport());
