export { SecretBox } from './secret-box';
export { SecretsModule } from './secrets.module';
export { SECRET_BOX } from './secrets.tokens';
