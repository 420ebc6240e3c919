import { z } from 'zod';
import {
  ApprovalDecisionSchema,
  ApprovalListQuerySchema,
  JobInputSchema,
  OwnerApprovalPolicySchema,
  SteerJobSchema,
  WaitSchema,
} from '@wiz/contracts';
import type { ApiRoute } from './api-route';

// Human in the loop: approvals of gated tool calls, the owner's default policy, and a job's
// answers, steering messages and signals.
export const HUMAN_INPUT_ROUTES: ApiRoute[] = [
  {
    method: 'post',
    path: '/api/v1/jobs/:id/input',
    summary: "answer the job's pending question (ask_human); 409 when it asks none",
    tag: 'human-in-the-loop',
    body: JobInputSchema,
    status: 200,
    response: WaitSchema,
  },
  {
    method: 'post',
    path: '/api/v1/jobs/:id/messages',
    summary: 'steer a running or parked job: the agent reads the message at its next model step',
    tag: 'human-in-the-loop',
    body: SteerJobSchema,
    status: 202,
    response: z.object({ id: z.uuid(), jobId: z.uuid() }),
  },
  {
    method: 'post',
    path: '/api/v1/jobs/:id/signals/:name',
    summary: 'send signal `name` (any JSON payload) to the job waiting for it (wait_for_signal); 409 when none waits',
    tag: 'human-in-the-loop',
    status: 200,
    response: z.object({ items: z.array(WaitSchema) }),
  },
  {
    method: 'get',
    path: '/api/v1/approvals',
    summary: 'approvals of gated tool calls (`?status=pending`)',
    tag: 'human-in-the-loop',
    query: ApprovalListQuerySchema,
    status: 200,
    response: z.object({ items: z.array(WaitSchema) }),
  },
  {
    method: 'get',
    path: '/api/v1/approvals/policy',
    summary: "the owner's default tool approval policies (an agent's own `approvals` win)",
    tag: 'human-in-the-loop',
    status: 200,
    response: OwnerApprovalPolicySchema,
  },
  {
    method: 'put',
    path: '/api/v1/approvals/policy',
    summary: "replace the owner's default tool approval policies",
    tag: 'human-in-the-loop',
    body: OwnerApprovalPolicySchema,
    status: 200,
    response: OwnerApprovalPolicySchema,
  },
  {
    method: 'get',
    path: '/api/v1/approvals/:id',
    summary: 'an approval, with its decision once taken',
    tag: 'human-in-the-loop',
    status: 200,
    response: WaitSchema,
  },
  {
    method: 'post',
    path: '/api/v1/approvals/:id',
    summary: 'approve, reject or edit (new arguments, checked against the tool) a gated call; 409 once decided',
    tag: 'human-in-the-loop',
    body: ApprovalDecisionSchema,
    status: 200,
    response: WaitSchema,
  },
];
