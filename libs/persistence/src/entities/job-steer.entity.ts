import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './columns';

// A person's message to a running or parked job; the loop adds it to the context at its next
// model step (`consumedAt` set in that save).
@Entity({ name: 'job_steers' })
@Index('idx_job_steers_job', ['jobId', 'consumedAt'])
export class JobSteerEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  ownerId!: string;

  @Column({ type: 'varchar', length: 36 })
  jobId!: string;

  @Column({ type: 'text' })
  text!: string;

  @Column({ type: 'varchar', length: 200 })
  by!: string;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt!: Date;

  @Column({ type: 'bigint', transformer: epochMs, nullable: true })
  consumedAt!: Date | null;
}
