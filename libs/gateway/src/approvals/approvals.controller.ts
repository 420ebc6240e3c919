import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApprovalDecision,
  ApprovalDecisionSchema,
  ApprovalListQuery,
  ApprovalListQuerySchema,
  ApprovalPolicies,
  OwnerApprovalPolicySchema,
  Wait,
} from '@wiz/contracts';
import { Auth, AuthContext, IdPipe, Owner, ZodPipe } from '@wiz/platform';
import { JobWaitsService } from '@wiz/queue';

/** Who decided: the API key (or the owner when authentication is off). */
export const deciderOf = (auth: AuthContext) => (auth.keyId ? `key:${auth.keyId}` : `owner:${auth.ownerId}`);

@Controller('api/v1/approvals')
export class ApprovalsController {
  constructor(private readonly waits: JobWaitsService) {}

  // Declared before `:id` so that `policy` is not read as an id.
  @Get('policy')
  policy(@Owner() owner: string): Promise<{ approvals: ApprovalPolicies }> {
    return this.waits.ownerPolicies(owner);
  }

  @Put('policy')
  setPolicy(
    @Owner() owner: string,
    @Body(new ZodPipe(OwnerApprovalPolicySchema)) body: { approvals: ApprovalPolicies },
  ): Promise<{ approvals: ApprovalPolicies }> {
    return this.waits.setOwnerPolicies(owner, body.approvals);
  }

  @Get()
  list(
    @Owner() owner: string,
    @Query(new ZodPipe(ApprovalListQuerySchema, 'query')) q: ApprovalListQuery,
  ): Promise<{ items: Wait[] }> {
    return this.waits.listApprovals(owner, q);
  }

  @Get(':id')
  get(@Owner() owner: string, @Param('id', new IdPipe('approval')) id: string): Promise<Wait> {
    return this.waits.getApproval(owner, id);
  }

  @Post(':id')
  @HttpCode(200)
  decide(
    @Auth() auth: AuthContext,
    @Param('id', new IdPipe('approval')) id: string,
    @Body(new ZodPipe(ApprovalDecisionSchema)) body: ApprovalDecision,
  ): Promise<Wait> {
    return this.waits.decide(auth.ownerId, id, body, deciderOf(auth));
  }
}
