import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { WizError } from '@wiz/contracts';

// Who a request acts as. The gateway's AuthGuard sets it from the API key (or to the local
// owner when authentication is off); every repository query takes `ownerId`.
export interface AuthContext {
  ownerId: string;
  admin: boolean;
  /** The key used; null when authentication is off. */
  keyId: string | null;
}

/** The owner of everything when authentication is off (the embedded default on localhost). */
export const LOCAL_OWNER = 'local';

export const authOf = (req: { auth?: AuthContext }): AuthContext => {
  // Only reachable if a route escaped the guard: refuse rather than guess an owner.
  if (!req.auth) throw new WizError('unauthorized', 'not authenticated');
  return req.auth;
};

export const Owner = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): string => authOf(ctx.switchToHttp().getRequest()).ownerId,
);
export const Auth = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthContext =>
  authOf(ctx.switchToHttp().getRequest()),
);

/** Marks a route that needs no API key (health, API documents). */
export const IS_PUBLIC = 'wiz:public';
export const Public = () => SetMetadata(IS_PUBLIC, true);
