import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './columns';

// A model provider (OpenAI-compatible endpoint). `apiKeyEncrypted` is AES-256-GCM ciphertext
// (see libs/secrets/src/secret-box.ts); the plain key is never stored.
@Entity({ name: 'providers' })
@Index('idx_providers_owner', ['ownerId', 'createdAt'])
export class ProviderEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'text' })
  baseUrl!: string;

  @Column({ type: 'text' })
  apiKeyEncrypted!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  defaultModel!: string | null;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ type: 'bigint', transformer: epochMs })
  updatedAt!: Date;
}
