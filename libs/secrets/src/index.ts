export { SecretBox } from './secret-box';
export { SECRET_BOX } from './secrets.tokens';
export { SecretsModule } from './secrets.module';
