import { Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Auth, AuthContext } from '@wiz/platform';
import { McpService } from './mcp.service';

const STATELESS = {
  jsonrpc: '2.0',
  error: { code: -32000, message: 'Method not allowed: this MCP server is stateless (POST only, no sessions).' },
  id: null,
};

// MCP over streamable HTTP at /mcp, authenticated like the REST API (Authorization: Bearer <key>).
@Controller('mcp')
export class McpController {
  constructor(private readonly mcp: McpService) {}

  @Post()
  handle(@Auth() auth: AuthContext, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.mcp.handle(auth, req, res);
  }

  // No server-initiated stream and no session to end: clients take a 405 as "not offered".
  @Get()
  @HttpCode(405)
  stream(): typeof STATELESS {
    return STATELESS;
  }

  @Delete()
  @HttpCode(405)
  end(): typeof STATELESS {
    return STATELESS;
  }
}
