import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EventEnvelope, MailboxCommand } from '@wiz/contracts';
import { BusService } from '@wiz/bus';
import { NewOutboxRow, OutboxRepository, writeTransaction } from '@wiz/persistence';
import { CLAIM_MS, OutboxRelay } from './outbox.relay';

export interface Emit {
  event(e: EventEnvelope): void;
  command(subject: string, c: MailboxCommand, msgId: string): void;
}

// The one way state changes: the store change and the bus messages it implies commit in one
// transaction (DESIGN.md invariant 1, transactional outbox); the relay publishes after commit.
@Injectable()
export class StateChanges {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly outbox: OutboxRepository,
    private readonly relay: OutboxRelay,
    private readonly bus: BusService,
  ) {}

  async commit<T>(work: (m: EntityManager, emit: Emit) => Promise<T>): Promise<T> {
    const rows: NewOutboxRow[] = [];
    const emit: Emit = {
      event: (e) =>
        rows.push({ kind: 'event', id: e.id, subject: this.bus.names.eventSubject(e), payload: JSON.stringify(e) }),
      command: (subject, c, msgId) => rows.push({ kind: 'command', id: msgId, subject, payload: JSON.stringify(c) }),
    };
    const { result, written } = await writeTransaction(this.ds, async (m) => {
      const result = await work(m, emit);
      const written = rows.length ? await this.outbox.insert(rows, new Date(Date.now() + CLAIM_MS), m) : [];
      return { result, written };
    });
    this.relay.push(written);
    return result;
  }
}
