import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { JobInput, JobInputSchema, SignalNameSchema, SteerJob, SteerJobSchema, Wait, notFound } from '@wiz/contracts';
import { Auth, AuthContext, IdPipe, ZodPipe } from '@wiz/platform';
import { JobWaitsService } from '@wiz/queue';
import { deciderOf } from './approvals.controller';

// People and the outside world talking to a job: an answer to its question, a steering
// message, a signal it waits for.
@Controller('api/v1/jobs/:id')
export class JobInputController {
  constructor(private readonly waits: JobWaitsService) {}

  @Post('input')
  @HttpCode(200)
  input(
    @Auth() auth: AuthContext,
    @Param('id', new IdPipe('job')) id: string,
    @Body(new ZodPipe(JobInputSchema)) body: JobInput,
  ): Promise<Wait> {
    return this.waits.answer(auth.ownerId, id, body, deciderOf(auth));
  }

  @Post('messages')
  @HttpCode(202)
  steer(
    @Auth() auth: AuthContext,
    @Param('id', new IdPipe('job')) id: string,
    @Body(new ZodPipe(SteerJobSchema)) body: SteerJob,
  ): Promise<{ id: string; jobId: string }> {
    return this.waits.steer(auth.ownerId, id, body.text, deciderOf(auth));
  }

  @Post('signals/:name')
  @HttpCode(200)
  async signal(
    @Auth() auth: AuthContext,
    @Param('id', new IdPipe('job')) id: string,
    @Param('name') name: string,
    @Body() payload: unknown,
  ): Promise<{ items: Wait[] }> {
    if (!SignalNameSchema.safeParse(name).success) throw notFound('signal', name);
    return { items: await this.waits.signal(auth.ownerId, id, name, payload ?? null, deciderOf(auth)) };
  }
}
