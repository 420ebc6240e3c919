import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ApprovalPolicies } from '@wiz/contracts';
import { epochMs } from './columns';

// An owner's defaults for its agents: the tool approval policies (an agent's own entries win).
@Entity({ name: 'owner_settings' })
export class OwnerSettingsEntity {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'simple-json' })
  approvals!: ApprovalPolicies;

  @Column({ type: 'bigint', transformer: epochMs })
  updatedAt!: Date;
}
