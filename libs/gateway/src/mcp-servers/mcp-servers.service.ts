import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  CreateMcpServer,
  isUuid,
  McpServer,
  notFound,
  PageOf,
  PageQuery,
  UpdateMcpServer,
  WizError,
} from '@wiz/contracts';
import { WIZ_CONFIG, WizConfig } from '@wiz/config';
import { SECRET_BOX, SecretBox } from '@wiz/secrets';
import { McpServerEntity, McpServersRepository, OwnerCaps } from '@wiz/persistence';

const toMcpServer = (e: McpServerEntity): McpServer => ({
  id: e.id,
  name: e.name,
  transport: e.transport,
  url: e.url,
  command: e.command,
  args: e.args,
  headerNames: e.headerNames,
  envNames: e.envNames,
  createdAt: e.createdAt.toISOString(),
  updatedAt: e.updatedAt.toISOString(),
});

type Secrets = { headers: Record<string, string>; env: Record<string, string> };

// An owner's MCP servers. Header and environment values are sealed here and opened only in the
// runtime that connects (libs/mcp); answers carry their names. No event: nothing on the bus
// needs a server's configuration.
@Injectable()
export class McpServersService {
  constructor(
    private readonly servers: McpServersRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(WIZ_CONFIG) private readonly config: WizConfig,
    private readonly caps: OwnerCaps,
  ) {}

  async create(ownerId: string, body: CreateMcpServer): Promise<McpServer> {
    if (body.transport === 'stdio') this.checkStdio();
    await this.checkName(ownerId, body.name);
    const now = new Date();
    const http = body.transport === 'http' ? body : undefined;
    const stdio = body.transport === 'stdio' ? body : undefined;
    const entity = Object.assign(new McpServerEntity(), {
      id: randomUUID(),
      ownerId,
      name: body.name,
      transport: body.transport,
      url: http?.url ?? null,
      command: stdio?.command ?? null,
      args: stdio?.args ?? [],
      ...this.seal({ headers: http?.headers ?? {}, env: stdio?.env ?? {} }),
      createdAt: now,
      updatedAt: now,
    } satisfies McpServerEntity);
    await this.caps.insert('mcpServers', ownerId, (m) => this.servers.insert(entity, m));
    return toMcpServer(entity);
  }

  async update(ownerId: string, id: string, body: UpdateMcpServer): Promise<McpServer> {
    const e = await this.find(ownerId, id);
    const fields = e.transport === 'http' ? ['url', 'headers'] : ['command', 'args', 'env'];
    const wrong = Object.keys(body).filter((k) => k !== 'name' && !fields.includes(k));
    if (wrong.length) throw new WizError('validation_failed', `a ${e.transport} MCP server has no ${wrong.join(', ')}`);
    if (e.transport === 'stdio') this.checkStdio();
    if (body.name && body.name !== e.name) await this.checkName(ownerId, body.name);
    // A server holds headers or env, never both: new ones replace the sealed set, else it stays.
    const secrets = body.headers || body.env ? this.seal({ headers: body.headers ?? {}, env: body.env ?? {} }) : {};
    Object.assign(e, {
      name: body.name ?? e.name,
      url: body.url ?? e.url,
      command: body.command ?? e.command,
      args: body.args ?? e.args,
      ...secrets,
      updatedAt: new Date(),
    });
    await this.servers.save(e);
    return toMcpServer(e);
  }

  async list(ownerId: string, page: PageQuery): Promise<PageOf<McpServer>> {
    const [items, total] = await this.servers.list(ownerId, page);
    return { items: items.map(toMcpServer), total, ...page };
  }

  async get(ownerId: string, id: string): Promise<McpServer> {
    return toMcpServer(await this.find(ownerId, id));
  }

  async remove(ownerId: string, id: string): Promise<void> {
    if (!isUuid(id) || !(await this.servers.delete(ownerId, id))) throw notFound('MCP server', id);
  }

  /** The owner's server (404 for anyone else's). */
  async find(ownerId: string, id: string): Promise<McpServerEntity> {
    const e = isUuid(id) ? await this.servers.findById(ownerId, id) : null;
    if (!e) throw notFound('MCP server', id);
    return e;
  }

  private checkStdio(): void {
    if (!this.config.WIZ_MCP_STDIO)
      throw new WizError(
        'forbidden',
        'stdio MCP servers are off: the operator enables them with WIZ_MCP_STDIO=true (they run a program on the runtime host)',
      );
  }

  private async checkName(ownerId: string, name: string): Promise<void> {
    if (await this.servers.findByName(ownerId, name))
      throw new WizError('conflict', `an MCP server named ${name} exists`);
  }

  private seal(s: Secrets): Pick<McpServerEntity, 'headerNames' | 'envNames' | 'secretsEncrypted'> {
    const empty = !Object.keys(s.headers).length && !Object.keys(s.env).length;
    return {
      headerNames: Object.keys(s.headers),
      envNames: Object.keys(s.env),
      secretsEncrypted: empty ? '' : this.secrets.encrypt(JSON.stringify(s)),
    };
  }
}
