import { Logger, Module } from '@nestjs/common';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { SecretBox } from './secret-box';
import { SECRET_BOX } from './secrets.tokens';

const secretBox = {
  provide: SECRET_BOX,
  inject: [WIZ_CONFIG],
  useFactory: (c: WizConfig) => {
    const { box, source } = SecretBox.fromConfig(c.WIZ_SECRET_KEY, c.WIZ_DATA_DIR);
    if (source !== 'WIZ_SECRET_KEY')
      new Logger('Secrets').log(
        `stored secrets are encrypted with the key generated in ${source} on first use (set WIZ_SECRET_KEY to choose one)`,
      );
    return box;
  },
};

// Encryption of stored secrets (provider API keys): the gateway seals them with the same key the
// runtime opens them with (WIZ_SECRET_KEY, or the generated key file).
@Module({ providers: [secretBox], exports: [SECRET_BOX] })
export class SecretsModule {}
