import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { SecretsModule } from '@wiz/secrets';
import { LlmService } from './llm.service';

// The model layer: the runtime's only (the gateway never loads it).
@Module({ imports: [SecretsModule, PersistenceModule], providers: [LlmService], exports: [LlmService] })
export class LlmModule {}
