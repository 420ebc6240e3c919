import { WizEvents, WebSocketCtor } from './events';
import { FetchLike, Http } from './http';
import { RestApi } from './rest';

export * from './errors';
export * from './events';
export * from './subscription';
export type { FetchLike, Query } from './http';
export type { ApprovalFilter, ExecuteBody, Health, JobFilter, MemorySearch, Page } from './rest';

export interface WizClientOptions {
  /** The server, e.g. `http://localhost:8080`; in a browser served by Wiz, `location.origin`. */
  baseUrl: string;
  /** An API key; none when the server runs with authentication off (loopback). */
  apiKey?: string;
  fetch?: FetchLike;
  /** Browsers and Node 22+ have one; in Node 20 pass `WebSocket` from the `ws` package. */
  WebSocket?: WebSocketCtor;
  /** First reconnect delay of the event connection (doubles up to `maxBackoffMs`). */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * The typed Wiz client: `client.agents.create(…)`, `client.jobs.list(…)`…, and `client.events`
 * for live events. Errors are `WizApiError` (status, code, message).
 */
export class WizClient extends RestApi {
  readonly events: WizEvents;

  constructor(readonly options: WizClientOptions) {
    super(new Http(options));
    this.events = new WizEvents(options);
  }

  /** Closes the event connection (REST calls keep working). */
  close(): void {
    this.events.close();
  }
}
