import { Entity, Index, PrimaryColumn } from 'typeorm';

// "jobId waits for dependsOnId". Indexed both ways: a job's dependencies, a job's dependents.
@Entity({ name: 'job_dependencies' })
@Index('idx_job_dependencies_on', ['dependsOnId'])
export class JobDependencyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  jobId!: string;

  @PrimaryColumn({ type: 'varchar', length: 36 })
  dependsOnId!: string;
}
