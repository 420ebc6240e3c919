import { Global, Module } from '@nestjs/common';
import { SecretsModule } from '@wiz/secrets';
import { LlmService } from './llm.service';

// Global: the gateway seals provider keys with the same box the runtime opens them with.
@Global()
@Module({ imports: [SecretsModule], providers: [LlmService], exports: [LlmService] })
export class LlmModule {}
