import { BeforeApplicationShutdown, Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { isUuid, notFound, SseQuery, SseQuerySchema, Topic, WizError } from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { Auth, AuthContext, ZodPipe } from '@wiz/platform';
import { ApiKeysService } from '../auth/api-keys.service';
import { EventsHub } from './events.hub';
import { SseClient } from './sse.client';

// Server-Sent Events for clients that cannot use WebSocket: the same events as the WS topics
// `job:<id>`, `agent:<id>` and `conversation:<id>`, resumed after `Last-Event-ID` (or `?since=`) with no gap and no
// duplicate.
@Controller('api/v1')
export class SseController implements BeforeApplicationShutdown {
  private readonly open = new Set<SseClient>();
  private closing = false;

  constructor(
    private readonly hub: EventsHub,
    private readonly keys: ApiKeysService,
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
  ) {}

  // An event stream never ends by itself, and the HTTP server's close waits for it: end them
  // first (the client resumes elsewhere with Last-Event-ID).
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.open].map((c) => c.shutdown(1_000)));
  }

  @Get('jobs/:id/events')
  job(
    @Auth() auth: AuthContext,
    @Param('id') id: string,
    @Headers('last-event-id') last: string | undefined,
    @Query(new ZodPipe(SseQuerySchema, 'query')) q: SseQuery,
    @Res() res: Response,
  ): Promise<void> {
    return this.follow(auth, 'job', id, last, q, res);
  }

  @Get('agents/:id/events')
  agent(
    @Auth() auth: AuthContext,
    @Param('id') id: string,
    @Headers('last-event-id') last: string | undefined,
    @Query(new ZodPipe(SseQuerySchema, 'query')) q: SseQuery,
    @Res() res: Response,
  ): Promise<void> {
    return this.follow(auth, 'agent', id, last, q, res);
  }

  @Get('conversations/:id/events')
  conversation(
    @Auth() auth: AuthContext,
    @Param('id') id: string,
    @Headers('last-event-id') last: string | undefined,
    @Query(new ZodPipe(SseQuerySchema, 'query')) q: SseQuery,
    @Res() res: Response,
  ): Promise<void> {
    return this.follow(auth, 'conversation', id, last, q, res);
  }

  private async follow(
    auth: AuthContext,
    kind: 'job' | 'agent' | 'conversation',
    id: string,
    last: string | undefined,
    q: SseQuery,
    res: Response,
  ): Promise<void> {
    if (!isUuid(id)) throw notFound(kind, id);
    if (this.closing) throw new WizError('unavailable', 'server shutting down');
    const fromHeader = last !== undefined && /^\d+$/.test(last.trim()) ? Number(last.trim()) : undefined;
    let release: (() => void) | undefined;
    const client = new SseClient(
      auth.ownerId,
      auth.keyId ?? undefined,
      res,
      this.config.WIZ_WS_MAX_BUFFERED_BYTES,
      this.config.WIZ_REPLAY_DRAIN_TIMEOUT_MS,
      this.config.WIZ_WS_PING_MS,
      (c) => {
        this.open.delete(c);
        this.hub.drop(c);
        release?.();
      },
    );
    this.open.add(client);
    // A revoked key ends the stream, on whichever gateway serves it.
    if (auth.keyId) release = this.keys.holdSession(auth.keyId, () => client.end());
    try {
      await this.hub.subscribe(client, `${kind}:${id}` as Topic, fromHeader ?? q.since, { events: q.events });
      // Shutdown began while it subscribed: nobody else would end it.
      if (this.closing) client.end();
    } catch (e) {
      this.hub.drop(client);
      if (res.headersSent) return client.end();
      throw e;
    }
  }
}
