import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { AuthContext, IS_PUBLIC } from '@wiz/platform';

// @nestjs/throttler, counted per API key (per client address when authentication is off).
// It runs after AuthGuard, so `req.auth` is set. Counters are shared by every gateway
// (ClusterThrottlerStorage): N replicas behind a balancer allow a key the limit, not N times it.
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async shouldSkip(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    return this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [ctx.getHandler(), ctx.getClass()]) === true;
  }

  // One budget per key across all routes (the default counts each route apart).
  protected override generateKey(_ctx: ExecutionContext, tracker: string, name: string): string {
    return `${name}:${tracker}`;
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const auth = req['auth'] as AuthContext | undefined;
    return auth?.keyId ? `key:${auth.keyId}` : `ip:${String(req['ip'])}`;
  }
}
