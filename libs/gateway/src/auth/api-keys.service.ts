import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import type { Subscription } from 'nats';
import { BusService } from '@wiz/bus';
import { randomUUID } from 'node:crypto';
import { ApiKey, CreateApiKey, CreatedApiKey, isUuid, notFound, WizError } from '@wiz/contracts';
import { authEnabled, WIZ_CONFIG, WizConfig } from '@wiz/config';
import { ApiKeyEntity, ApiKeysRepository, OwnerCaps } from '@wiz/persistence';
import { AuthContext, LOCAL_OWNER } from '@wiz/platform';
import { bearerOf, displayPrefix, generateKey, hashKey } from './api-key.crypto';
import { toApiKey } from './api-key.mapper';
import { AuthFailures } from '../limits/auth-failures.service';

const CACHE_TTL_MS = 10_000;
const CACHE_MAX = 10_000;
const ADMIN_OWNER = 'admin';

/** What a request acts as when authentication is off: the local owner, with every right. */
export const LOCAL_AUTH: AuthContext = Object.freeze({ ownerId: LOCAL_OWNER, admin: true, keyId: null });

// API keys: created per owner, shown once, stored as their SHA-256, revocable. A verified key
// is cached for 10 s; a revocation is broadcast to every gateway (a `revoke` control message),
// which drops the key from its cache and ends the live sessions opened with it (`holdSession`).
// A gateway that misses the message (core NATS) stops accepting the key within 10 s.
@Injectable()
export class ApiKeysService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Auth');
  private readonly cache = new Map<string, { auth: AuthContext | null; until: number }>();
  /** Live sessions (WebSocket, SSE) by the key that opened them: each one's end. */
  private readonly sessions = new Map<string, Set<() => void>>();
  private revocations?: Subscription;
  readonly enabled: boolean;

  constructor(
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly keys: ApiKeysRepository,
    private readonly caps: OwnerCaps,
    // None in `npm run keys` (no NATS): its revocations reach the gateways within the cache's 10 s.
    @Optional() private readonly bus?: BusService,
    // None in `npm run keys` either: failed authentications are counted by the gateways.
    @Optional() private readonly failures?: AuthFailures,
  ) {
    this.enabled = authEnabled(config);
  }

  onApplicationShutdown(): void {
    this.revocations?.unsubscribe();
  }

  /** Registers a live session of `keyId`; `end` runs when the key is revoked. Returns its release. */
  holdSession(keyId: string, end: () => void): () => void {
    let ends = this.sessions.get(keyId);
    if (!ends) this.sessions.set(keyId, (ends = new Set()));
    ends.add(end);
    return () => {
      ends.delete(end);
      if (!ends.size && this.sessions.get(keyId) === ends) this.sessions.delete(keyId);
    };
  }

  private revoked(keyId: string): void {
    for (const [hash, c] of this.cache) if (c.auth?.keyId === keyId) this.cache.delete(hash);
    const ends = this.sessions.get(keyId);
    this.sessions.delete(keyId);
    for (const end of ends ?? []) end();
  }

  async onApplicationBootstrap(): Promise<void> {
    this.revocations = this.bus?.subscribeControl('revoke', ({ keyId }) => this.revoked(keyId));
    if (this.config.WIZ_ADMIN_KEY) await this.registerAdminKey(this.config.WIZ_ADMIN_KEY);
    if (!this.enabled) {
      this.log.warn(
        `authentication is OFF (HOST ${this.config.HOST} is loopback): every client acts as owner "${LOCAL_OWNER}"`,
      );
      return;
    }
    this.log.log('authentication is on: every request needs an API key (Authorization: Bearer <key>)');
    if (!(await this.keys.anyActive()))
      this.log.warn(
        'no API key exists yet: set WIZ_ADMIN_KEY, or run `npm run keys -- create --owner <owner> --admin`',
      );
  }

  /**
   * The caller of an `Authorization` header; throws `unauthorized` when a key is required and bad.
   * `client`: the address whose failed authentications are counted (429 `rate_limited` past
   * WIZ_AUTH_FAILURES_PER_MIN).
   */
  async fromHeader(header: string | string[] | undefined, client?: string): Promise<AuthContext> {
    if (!this.enabled) return LOCAL_AUTH;
    const key = bearerOf(header);
    if (!key) {
      if (client) await this.failed(client);
      throw new WizError('unauthorized', 'an API key is required: send "Authorization: Bearer <key>"');
    }
    return this.fromKey(key, client);
  }

  async fromKey(key: string, client?: string): Promise<AuthContext> {
    if (!this.enabled) return LOCAL_AUTH;
    if (client) this.failures?.assertNotBlocked(client);
    const auth = await this.verify(key, client);
    if (!auth) {
      if (client) await this.failures?.failed(client);
      throw new WizError('unauthorized', 'invalid or revoked API key');
    }
    return auth;
  }

  /** Throws 429 when `client` is blocked for failed authentications (before it sends a key). */
  async assertClientAllowed(client: string): Promise<void> {
    if (this.enabled) await this.failures?.assertNotBlockedShared(client);
  }

  private async failed(client: string): Promise<void> {
    this.failures?.assertNotBlocked(client);
    await this.failures?.failed(client);
  }

  async create(caller: AuthContext, body: CreateApiKey): Promise<CreatedApiKey> {
    const ownerId = body.ownerId ?? caller.ownerId;
    if ((ownerId !== caller.ownerId || body.admin) && !caller.admin) {
      throw new WizError('forbidden', 'only an admin key may create keys for another owner or admin keys');
    }
    const key = generateKey();
    const entity = this.entity(key, ownerId, body.name ?? null, body.admin ?? false);
    await this.caps.insert('keys', ownerId, (m) => this.keys.insert(entity, m));
    return { ...toApiKey(entity), key };
  }

  async list(caller: AuthContext, ownerId?: string): Promise<ApiKey[]> {
    if (ownerId && ownerId !== caller.ownerId && !caller.admin)
      throw new WizError('forbidden', "only an admin key may list another owner's keys");
    return (await this.keys.list(ownerId ?? caller.ownerId)).map(toApiKey);
  }

  /** Revokes one of the caller's keys (an admin: anyone's). Unknown or foreign: 404. */
  async revoke(caller: AuthContext, id: string): Promise<void> {
    const found = !isUuid(id)
      ? null
      : caller.admin
        ? await this.keys.findAnyById(id)
        : await this.keys.findById(caller.ownerId, id);
    if (!found || !(await this.keys.revoke(found.ownerId, id, new Date()))) throw notFound('API key', id);
    this.revoked(id);
    this.bus?.publishControl('revoke', { keyId: id });
  }

  private async verify(key: string, client?: string): Promise<AuthContext | null> {
    const hash = hashKey(key);
    const cached = this.cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.auth;
    // A look-up in the store: first ask whether another gateway saw this client blocked.
    if (client) await this.failures?.assertNotBlockedShared(client);
    const row = await this.keys.findByHash(hash);
    const auth = row && !row.revokedAt ? { ownerId: row.ownerId, admin: row.admin, keyId: row.id } : null;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(hash, { auth, until: Date.now() + CACHE_TTL_MS });
    return auth;
  }

  // WIZ_ADMIN_KEY: registered once (by its hash), so a restart with the same value is a no-op.
  private async registerAdminKey(key: string): Promise<void> {
    const existing = await this.keys.findByHash(hashKey(key));
    if (existing?.revokedAt) this.log.warn('WIZ_ADMIN_KEY was revoked: it stays revoked; set a new one');
    if (existing) return;
    try {
      await this.keys.insert(this.entity(key, ADMIN_OWNER, 'WIZ_ADMIN_KEY', true));
      this.log.log(`registered WIZ_ADMIN_KEY as an admin key of owner "${ADMIN_OWNER}"`);
    } catch (e) {
      // Another gateway registered it at the same moment (unique hash).
      if (!(await this.keys.findByHash(hashKey(key)))) throw e;
    }
  }

  private entity(key: string, ownerId: string, name: string | null, admin: boolean): ApiKeyEntity {
    return Object.assign(new ApiKeyEntity(), {
      id: randomUUID(),
      ownerId,
      name,
      prefix: displayPrefix(key),
      hash: hashKey(key),
      admin,
      createdAt: new Date(),
      revokedAt: null,
    } satisfies ApiKeyEntity);
  }
}
