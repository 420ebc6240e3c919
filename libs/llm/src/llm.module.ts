import { Global, Logger, Module } from '@nestjs/common';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { LlmService } from './llm.service';
import { SECRET_BOX } from './llm.tokens';
import { SecretBox } from './secret-box';

const secretBox = {
  provide: SECRET_BOX,
  inject: [WIZ_CONFIG],
  useFactory: (c: WizConfig) => {
    const { box, source } = SecretBox.fromConfig(c.WIZ_SECRET_KEY, c.WIZ_DATA_DIR);
    if (source !== 'WIZ_SECRET_KEY')
      new Logger('Secrets').log(
        `provider keys are encrypted with the key generated in ${source} on first use (set WIZ_SECRET_KEY to choose one)`,
      );
    return box;
  },
};

// Global: the gateway seals provider keys with the same box the runtime opens them with.
@Global()
@Module({ providers: [LlmService, secretBox], exports: [LlmService, SECRET_BOX] })
export class LlmModule {}
