import { Injectable } from '@nestjs/common';
import { OwnersRepository } from '@wiz/persistence';

const MAX_CACHED = 100_000;

/** What an event's subject names: its agent, or (messages) its conversation. */
export interface EventSource {
  kind: 'agent' | 'conversation';
  id: string;
}

// The owner of an event, for the `owner` topic. Events name their agent or conversation, not
// their owner, so the gateway looks it up once and remembers it (an owner never changes).
// Kept out of the event subject on purpose: no wire-format change for this.
@Injectable()
export class OwnerResolver {
  private readonly bySource = new Map<string, string>();

  constructor(private readonly owners: OwnersRepository) {}

  /** The owner if already known, without waiting (undefined: look it up with `resolve`). */
  known(source: EventSource): string | undefined {
    return this.bySource.get(`${source.kind}:${source.id}`);
  }

  async resolve(source: EventSource): Promise<string | null> {
    const key = `${source.kind}:${source.id}`;
    const known = this.bySource.get(key);
    if (known !== undefined) return known;
    const owner =
      source.kind === 'agent' ? await this.owners.ofAgent(source.id) : await this.owners.ofConversation(source.id);
    if (this.bySource.size >= MAX_CACHED) this.bySource.clear();
    // An unknown one is not cached: its row may just not be visible yet.
    if (owner) this.bySource.set(key, owner);
    return owner;
  }
}
