import { Body, Controller, Get, Put, Query } from '@nestjs/common';
import { BudgetList, BudgetListSchema, UsageQuery, UsageQuerySchema, UsageReport } from '@wiz/contracts';
import { Owner, ZodPipe } from '@wiz/platform';
import { BudgetsService } from '@wiz/queue';

// The owner's model usage and cost (from the ledger), and its budgets.
@Controller('api/v1')
export class UsageController {
  constructor(private readonly budgets: BudgetsService) {}

  @Get('usage')
  usage(@Owner() owner: string, @Query(new ZodPipe(UsageQuerySchema, 'query')) q: UsageQuery): Promise<UsageReport> {
    return this.budgets.report(owner, q);
  }

  @Get('budgets')
  list(@Owner() owner: string): Promise<BudgetList> {
    return this.budgets.list(owner);
  }

  /** Replaces the owner's budgets (an empty list removes them). */
  @Put('budgets')
  replace(@Owner() owner: string, @Body(new ZodPipe(BudgetListSchema)) body: BudgetList): Promise<BudgetList> {
    return this.budgets.replace(owner, body);
  }
}
