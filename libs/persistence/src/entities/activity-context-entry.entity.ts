import { Column, Entity, PrimaryColumn } from 'typeorm';

// The lists of an ActivityContext that grow as a job runs, one entry per row.
export const CONTEXT_LOGS = ['messages', 'toolCalls', 'partialOutputs', 'errors', 'learnings'] as const;
export type ContextLog = (typeof CONTEXT_LOGS)[number];

// One element of a growing list of a job's context (a model message, a tool call, a partial
// output, an error, a learning): a step appends its new elements and never rewrites the old
// ones, so a step costs the same at 10 messages of history as at 200. A context rewritten
// (summarised, restarted, a tool result patched in) gets a new generation, written whole.
@Entity({ name: 'activity_context_entries' })
export class ActivityContextEntryEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  jobId!: string;

  @PrimaryColumn({ type: 'integer' })
  generation!: number;

  /** Order of the entry among all the entries of its generation (any list). */
  @PrimaryColumn({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 20 })
  kind!: ContextLog;

  /** The element, as JSON. */
  @Column({ type: 'text' })
  body!: string;
}
