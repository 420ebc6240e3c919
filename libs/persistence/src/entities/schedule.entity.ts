import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JobTemplate, MissedRunPolicy } from '@wiz/contracts';
import { epochMs } from './columns';

// A cron schedule. Each tick fires once cluster-wide: firing is a compare-and-set on
// `revision` that also moves `nextRunAt`, in the same transaction as the job it creates.
@Entity({ name: 'schedules' })
@Index('idx_schedules_due', ['enabled', 'nextRunAt'])
@Index('idx_schedules_owner', ['ownerId', 'createdAt'])
export class ScheduleEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  name!: string | null;

  @Column({ type: 'varchar', length: 200 })
  cron!: string;

  @Column({ type: 'varchar', length: 100 })
  timezone!: string;

  @Column({ type: 'simple-json' })
  template!: JobTemplate;

  @Column({ type: 'varchar', length: 16 })
  missedRunPolicy!: MissedRunPolicy;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @Column({ type: 'bigint', transformer: epochMs, nullable: true })
  nextRunAt!: Date | null;

  @Column({ type: 'bigint', transformer: epochMs, nullable: true })
  lastRunAt!: Date | null;

  @Column({ type: 'integer', default: 0 })
  revision!: number;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ type: 'bigint', transformer: epochMs })
  updatedAt!: Date;
}
