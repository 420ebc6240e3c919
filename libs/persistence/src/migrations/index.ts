import { Initial1763600000000 } from './1763600000000-initial';
import { JobQueue1763700000000 } from './1763700000000-job-queue';
import { JobLease1763750000000 } from './1763750000000-job-lease';
import { ApiKeys1763900000000 } from './1763900000000-api-keys';
import { Conversations1764000000000 } from './1764000000000-conversations';

// Every migration, in order. Append, never edit one that has shipped.
export const MIGRATIONS = [Initial1763600000000, JobQueue1763700000000, JobLease1763750000000, ApiKeys1763900000000, Conversations1764000000000];
