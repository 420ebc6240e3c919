import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './columns';

// An owner's MCP server (a tool source). `secretsEncrypted` is the SecretBox ciphertext of
// `{ headers, env }` (their values); the names alone are kept in clear to answer with.
@Entity({ name: 'mcp_servers' })
@Index('idx_mcp_servers_owner_name', ['ownerId', 'name'], { unique: true })
export class McpServerEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 32 })
  name!: string;

  @Column({ type: 'varchar', length: 10 })
  transport!: 'http' | 'stdio';

  @Column({ type: 'text', nullable: true })
  url!: string | null;

  @Column({ type: 'text', nullable: true })
  command!: string | null;

  @Column({ type: 'simple-json' })
  args!: string[];

  @Column({ type: 'simple-json' })
  headerNames!: string[];

  @Column({ type: 'simple-json' })
  envNames!: string[];

  /** Encrypted JSON `{ headers: {…}, env: {…} }`; '' when there is none. */
  @Column({ type: 'text' })
  secretsEncrypted!: string;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ type: 'bigint', transformer: epochMs })
  updatedAt!: Date;
}
