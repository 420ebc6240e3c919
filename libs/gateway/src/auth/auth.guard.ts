import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AuthContext, IS_PUBLIC } from '@wiz/platform';
import { ApiKeysService } from './api-keys.service';

// Every route needs an API key unless marked @Public(); the owner it acts as is what
// the @Owner() decorator gives the controllers. `req.ip` (WIZ_TRUST_PROXY) is the client whose
// failed authentications are counted.
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    // Global guards also see the runtime's bus handlers (embedded server): those are not clients.
    if (ctx.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [ctx.getHandler(), ctx.getClass()])) return true;
    const req = ctx.switchToHttp().getRequest<Request & { auth?: AuthContext }>();
    req.auth = await this.keys.fromHeader(req.headers.authorization, req.ip);
    return true;
  }
}
