import { Initial1763600000000 } from './1763600000000-initial';

// Every migration, in order. Append, never edit one that has shipped.
export const MIGRATIONS = [Initial1763600000000];
