import { Module } from '@nestjs/common';
import { SecretsModule } from '@wiz/secrets';
import { ProvidersController } from './providers.controller';
import { ProvidersService } from './providers.service';

// Model providers (OpenAI-compatible endpoints); their API keys are sealed with the SecretBox.
@Module({ imports: [SecretsModule], controllers: [ProvidersController], providers: [ProvidersService] })
export class ProvidersModule {}
