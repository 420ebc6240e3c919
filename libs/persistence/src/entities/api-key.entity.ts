import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './columns';

// An API key acts as its owner. Only the SHA-256 of the key is kept (see ApiKeysService).
@Entity({ name: 'api_keys' })
@Index('idx_api_keys_hash', ['hash'], { unique: true })
@Index('idx_api_keys_owner', ['ownerId', 'createdAt'])
export class ApiKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  name!: string | null;

  @Column({ type: 'varchar', length: 16 })
  prefix!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;

  @Column({ type: 'boolean', default: false })
  admin!: boolean;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ type: 'bigint', transformer: epochMs, nullable: true })
  revokedAt!: Date | null;
}
