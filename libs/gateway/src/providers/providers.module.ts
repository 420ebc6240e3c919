import { Module } from '@nestjs/common';
import { PersistenceModule } from '@wiz/persistence';
import { SecretsModule } from '@wiz/secrets';
import { ProvidersController } from './providers.controller';
import { ProvidersService } from './providers.service';

// Model providers (OpenAI-compatible endpoints); their API keys are sealed with the SecretBox.
@Module({
  imports: [PersistenceModule, SecretsModule],
  controllers: [ProvidersController],
  providers: [ProvidersService],
})
export class ProvidersModule {}
