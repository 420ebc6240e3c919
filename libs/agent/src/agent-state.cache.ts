import { Inject, Injectable } from '@nestjs/common';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import type { AgentStateEntity } from '@wiz/persistence';

/** An agent as the cache sees it: its id and its mailbox partition (fixed at its creation). */
export interface AgentKey {
  id: string;
  partition: number;
}

interface Entry {
  state: AgentStateEntity | null;
  partition: number;
  tenure: number;
  bytes: number;
}

/** Roughly what an entry holds in memory: its strings (UTF-16) and a fixed overhead. */
export function approxBytes(s: AgentStateEntity | null): number {
  if (!s) return 64;
  let chars = 0;
  for (const g of s.goals) chars += g.length;
  for (const l of s.learnings) chars += l.length;
  for (const [k, v] of Object.entries(s.knowledge)) chars += k.length + v.length;
  for (const a of s.activities) chars += a.jobId.length + a.input.length + a.summary.length + a.at.length + 16;
  return 2 * chars + 64 * (s.goals.length + s.learnings.length + s.activities.length) + 256;
}

// The long-term memory (agent state) of the agents whose actors live here, kept between their
// jobs so that a job does not read it again. An agent's jobs run on the runtime that leases its
// mailbox partition, and its state changes only when one of its jobs ends, so the copy written
// here at the end of a job is the store's, as long as the lease lasts. An entry is valid only in
// the lease tenure it was read in: losing the partition drops it (another runtime may run the
// agent's jobs meanwhile), and a runtime that regains it reads the state again. Bounded by
// WIZ_AGENT_STATE_CACHE_MB, least recently used first out. The store stays the fence: the write
// at the end of a job is a compare-and-set on the state it read (see AgentMemoryService).
@Injectable()
export class AgentStateCache {
  private readonly entries = new Map<string, Entry>();
  /** Held partitions → the tenure of their lease here (a new one at every gain). */
  private readonly tenures = new Map<number, number>();
  private nextTenure = 1;
  private bytes = 0;
  private readonly maxBytes: number;
  readonly stats = { hits: 0, misses: 0 };

  constructor(@Inject(WIZ_CONFIG) config: WizConfig) {
    this.maxBytes = config.WIZ_AGENT_STATE_CACHE_MB * 1024 * 1024;
  }

  /** This runtime leased `partition`. */
  gained(partition: number): void {
    this.tenures.set(partition, this.nextTenure++);
  }

  /** This runtime lost `partition`: its agents' entries go. */
  lost(partition: number): void {
    this.tenures.delete(partition);
    for (const [id, e] of [...this.entries]) if (e.partition === partition) this.drop(id);
  }

  /**
   * The tenure a read of the agent's state starts in, to `put` with what it read (undefined:
   * this runtime does not lease the agent's partition, so nothing is kept).
   */
  ticket(agent: AgentKey): number | undefined {
    return this.tenures.get(agent.partition);
  }

  /** The kept state (null: the agent has none yet), or undefined when none is kept. */
  get(agent: AgentKey): AgentStateEntity | null | undefined {
    const e = this.entries.get(agent.id);
    if (!e || e.tenure !== this.ticket(agent)) {
      if (e) this.drop(agent.id);
      this.stats.misses++;
      return undefined;
    }
    // Most recently used last.
    this.entries.delete(agent.id);
    this.entries.set(agent.id, e);
    this.stats.hits++;
    return e.state;
  }

  /** Keeps `state` if the tenure `ticket` was taken in still lasts. */
  put(agent: AgentKey, ticket: number | undefined, state: AgentStateEntity | null): void {
    this.drop(agent.id);
    if (!this.maxBytes || ticket === undefined || ticket !== this.ticket(agent)) return;
    const bytes = approxBytes(state);
    if (bytes > this.maxBytes) return;
    this.entries.set(agent.id, { state, partition: agent.partition, tenure: ticket, bytes });
    this.bytes += bytes;
    for (const id of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(id);
    }
  }

  drop(agentId: string): void {
    const e = this.entries.get(agentId);
    if (!e) return;
    this.entries.delete(agentId);
    this.bytes -= e.bytes;
  }

  has(agentId: string): boolean {
    return this.entries.has(agentId);
  }

  get size(): { agents: number; bytes: number } {
    return { agents: this.entries.size, bytes: this.bytes };
  }
}
