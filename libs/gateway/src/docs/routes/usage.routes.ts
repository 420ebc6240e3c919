import { BudgetListSchema, UsageQuerySchema, UsageReportSchema } from '@wiz/contracts';
import type { ApiRoute } from './api-route';

export const USAGE_ROUTES: ApiRoute[] = [
  {
    method: 'get',
    path: '/api/v1/usage',
    summary: "the owner's model calls, tokens and cost (USD) per agent, model or UTC day",
    tag: 'usage',
    query: UsageQuerySchema,
    status: 200,
    response: UsageReportSchema,
  },
  {
    method: 'get',
    path: '/api/v1/budgets',
    summary: "the owner's token and cost budgets",
    tag: 'usage',
    status: 200,
    response: BudgetListSchema,
  },
  {
    method: 'put',
    path: '/api/v1/budgets',
    summary: "replace the owner's budgets (a spent one refuses new jobs with 429 and stops running ones)",
    tag: 'usage',
    body: BudgetListSchema,
    status: 200,
    response: BudgetListSchema,
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (access: WIZ_METRICS_ACCESS, not API keys)',
    tag: 'metrics',
    status: 200,
    public: true,
  },
];
