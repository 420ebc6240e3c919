import { Module } from '@nestjs/common';
import { LlmModule } from '@wiz/llm';
import { ActorRegistry } from './actor-registry.service';
import { JobRunner } from './job-runner.service';

@Module({ imports: [LlmModule], providers: [JobRunner, ActorRegistry], exports: [ActorRegistry] })
export class AgentModule {}
