import type {
  ActivityContext,
  ApprovalDecision,
  ApprovalPolicies,
  JobInput,
  Wait,
  WaitStatus,
  AddParticipant,
  AdjustBehavior,
  Agent,
  ApiKey,
  Conversation,
  ConversationListQuery,
  CreateAgent,
  CreateApiKey,
  CreateConversation,
  CreatedApiKey,
  CreateJob,
  CreateMcpServer,
  CreateProject,
  CreateProvider,
  CreateSchedule,
  ExecuteSchema,
  Job,
  JobCounts,
  JobStatus,
  McpServer,
  McpServerTools,
  MemoryItem,
  MemoryMetadata,
  Message,
  MessagePage,
  PageOf,
  Participant,
  PostMessage,
  Project,
  Provider,
  SaveMemory,
  Schedule,
  UpdateAgent,
  UpdateMcpServer,
} from '@wiz/contracts';
import type { z } from 'zod';
import { Http } from './http';

/** The body of `execute`, as sent (defaults may be left out). */
export type ExecuteBody = z.input<typeof ExecuteSchema>;

export interface Page {
  limit?: number;
  offset?: number;
}
export interface JobFilter extends Page {
  status?: JobStatus | JobStatus[];
  agentId?: string;
  parentJobId?: string;
}
export interface ApprovalFilter {
  status?: WaitStatus;
  jobId?: string;
  limit?: number;
}
export interface MemorySearch {
  agentId: string;
  /** By meaning (embeddings). */
  query?: string;
  /** Metadata that must match exactly. */
  filter?: MemoryMetadata;
  limit?: number;
}
export interface Health {
  status: 'ok' | 'unavailable';
  nats: { ok: boolean; detail: string };
  database: { ok: boolean; detail: string };
}

const id = encodeURIComponent;
const V1 = '/api/v1';

// The REST API, one group per resource; every type comes from the zod contracts.
export class RestApi {
  constructor(readonly http: Http) {}

  health(): Promise<Health> {
    return this.http.request('GET', '/health');
  }

  readonly agents = {
    list: (page?: Page) => this.http.request<PageOf<Agent>>('GET', `${V1}/agents`, undefined, { ...page }),
    get: (agentId: string) => this.http.request<Agent>('GET', `${V1}/agents/${id(agentId)}`),
    create: (body: CreateAgent) => this.http.request<Agent>('POST', `${V1}/agents`, body),
    update: (agentId: string, body: UpdateAgent) =>
      this.http.request<Agent>('PATCH', `${V1}/agents/${id(agentId)}`, body),
    remove: (agentId: string) => this.http.request<void>('DELETE', `${V1}/agents/${id(agentId)}`),
    pause: (agentId: string) => this.http.request<Agent>('POST', `${V1}/agents/${id(agentId)}/pause`),
    resume: (agentId: string) => this.http.request<Agent>('POST', `${V1}/agents/${id(agentId)}/resume`),
    /** Merges behavior rules (or replaces them): the agent's behaviorVersion goes up. */
    adjustBehavior: (agentId: string, body: AdjustBehavior) =>
      this.http.request<Agent>('POST', `${V1}/agents/${id(agentId)}/behavior`, body),
    /** Submits a job and waits up to `waitMs` for it to end (the job, ended or still running). */
    execute: (agentId: string, body: ExecuteBody) =>
      this.http.request<Job>('POST', `${V1}/agents/${id(agentId)}/execute`, body),
  };

  readonly jobs = {
    list: (filter: JobFilter = {}) =>
      this.http.request<PageOf<Job>>('GET', `${V1}/jobs`, undefined, {
        ...filter,
        status: Array.isArray(filter.status) ? filter.status.join(',') : filter.status,
      }),
    counts: (agentId?: string) => this.http.request<JobCounts>('GET', `${V1}/jobs/counts`, undefined, { agentId }),
    get: (jobId: string) => this.http.request<Job>('GET', `${V1}/jobs/${id(jobId)}`),
    /** The job's working state: plan, criteria, tool calls, verdicts, tokens. */
    context: (jobId: string) => this.http.request<ActivityContext>('GET', `${V1}/jobs/${id(jobId)}/context`),
    create: (body: CreateJob) => this.http.request<Job>('POST', `${V1}/jobs`, body),
    cancel: (jobId: string) => this.http.request<Job>('POST', `${V1}/jobs/${id(jobId)}/cancel`),
    retry: (jobId: string) => this.http.request<Job>('POST', `${V1}/jobs/${id(jobId)}/retry`),
    /** Answers the parked job's question (ask_human); `waitId` when it asks several. */
    input: (jobId: string, body: JobInput) => this.http.request<Wait>('POST', `${V1}/jobs/${id(jobId)}/input`, body),
    /** Steers a queued, running or parked job: the agent reads `text` at its next model step. */
    steer: (jobId: string, text: string) =>
      this.http.request<{ id: string; jobId: string }>('POST', `${V1}/jobs/${id(jobId)}/messages`, { text }),
    /** Sends signal `name` (any JSON payload) to the job waiting for it (wait_for_signal). */
    signal: (jobId: string, name: string, payload: unknown = {}) =>
      this.http.request<{ items: Wait[] }>('POST', `${V1}/jobs/${id(jobId)}/signals/${id(name)}`, payload),
  };

  /** Gated tool calls waiting for (or given) a person's decision, and the owner's default policy. */
  readonly approvals = {
    list: (filter: ApprovalFilter = {}) =>
      this.http.request<{ items: Wait[] }>('GET', `${V1}/approvals`, undefined, { ...filter }),
    get: (approvalId: string) => this.http.request<Wait>('GET', `${V1}/approvals/${id(approvalId)}`),
    decide: (approvalId: string, body: ApprovalDecision) =>
      this.http.request<Wait>('POST', `${V1}/approvals/${id(approvalId)}`, body),
    approve: (approvalId: string, comment?: string) =>
      this.approvals.decide(approvalId, { decision: 'approve', ...(comment !== undefined && { comment }) }),
    reject: (approvalId: string, comment?: string) =>
      this.approvals.decide(approvalId, { decision: 'reject', ...(comment !== undefined && { comment }) }),
    /** Runs the tool with these arguments instead (checked against its input schema: 400 if they do not fit). */
    edit: (approvalId: string, args: Record<string, unknown>, comment?: string) =>
      this.approvals.decide(approvalId, {
        decision: 'edit',
        arguments: args,
        ...(comment !== undefined && { comment }),
      }),
    policy: () => this.http.request<{ approvals: ApprovalPolicies }>('GET', `${V1}/approvals/policy`),
    setPolicy: (approvals: ApprovalPolicies) =>
      this.http.request<{ approvals: ApprovalPolicies }>('PUT', `${V1}/approvals/policy`, { approvals }),
  };

  readonly projects = {
    list: (page?: Page) => this.http.request<PageOf<Project>>('GET', `${V1}/projects`, undefined, { ...page }),
    get: (projectId: string) => this.http.request<Project>('GET', `${V1}/projects/${id(projectId)}`),
    create: (body: CreateProject) => this.http.request<Project>('POST', `${V1}/projects`, body),
    remove: (projectId: string) => this.http.request<void>('DELETE', `${V1}/projects/${id(projectId)}`),
  };

  readonly conversations = {
    /** Oldest first; the filters combine (a DM of an agent with a person: `{ kind: 'dm', agentId, userId }`). */
    list: (q: Partial<ConversationListQuery> = {}) =>
      this.http.request<PageOf<Conversation>>('GET', `${V1}/conversations`, undefined, { ...q }),
    get: (conversationId: string) =>
      this.http.request<Conversation>('GET', `${V1}/conversations/${id(conversationId)}`),
    create: (body: CreateConversation) => this.http.request<Conversation>('POST', `${V1}/conversations`, body),
    /** Refused (409) while one of its jobs has not ended. */
    remove: (conversationId: string) => this.http.request<void>('DELETE', `${V1}/conversations/${id(conversationId)}`),
    addParticipant: (conversationId: string, body: AddParticipant) =>
      this.http.request<Participant>('POST', `${V1}/conversations/${id(conversationId)}/participants`, body),
    removeParticipant: (conversationId: string, kind: 'user' | 'agent', participantId: string) =>
      this.http.request<void>(
        'DELETE',
        `${V1}/conversations/${id(conversationId)}/participants/${kind}/${id(participantId)}`,
      ),
  };

  readonly messages = {
    /** Newest first; pass `nextCursor` as `cursor` for older ones. */
    list: (conversationId: string, q: { limit?: number; cursor?: string } = {}) =>
      this.http.request<MessagePage>('GET', `${V1}/conversations/${id(conversationId)}/messages`, undefined, q),
    /** A person's message: each agent it reaches gets a job (`jobIds`). */
    post: (conversationId: string, body: PostMessage) =>
      this.http.request<Message>('POST', `${V1}/conversations/${id(conversationId)}/messages`, body),
    update: (conversationId: string, messageId: string, content: string) =>
      this.http.request<Message>('PATCH', `${V1}/conversations/${id(conversationId)}/messages/${id(messageId)}`, {
        content,
      }),
    remove: (conversationId: string, messageId: string) =>
      this.http.request<void>('DELETE', `${V1}/conversations/${id(conversationId)}/messages/${id(messageId)}`),
  };

  readonly schedules = {
    list: (page?: Page) => this.http.request<PageOf<Schedule>>('GET', `${V1}/schedules`, undefined, { ...page }),
    get: (scheduleId: string) => this.http.request<Schedule>('GET', `${V1}/schedules/${id(scheduleId)}`),
    create: (body: CreateSchedule) => this.http.request<Schedule>('POST', `${V1}/schedules`, body),
    remove: (scheduleId: string) => this.http.request<void>('DELETE', `${V1}/schedules/${id(scheduleId)}`),
  };

  readonly providers = {
    list: (page?: Page) => this.http.request<PageOf<Provider>>('GET', `${V1}/providers`, undefined, { ...page }),
    get: (providerId: string) => this.http.request<Provider>('GET', `${V1}/providers/${id(providerId)}`),
    create: (body: CreateProvider) => this.http.request<Provider>('POST', `${V1}/providers`, body),
    remove: (providerId: string) => this.http.request<void>('DELETE', `${V1}/providers/${id(providerId)}`),
  };

  /** MCP servers as tool sources: header and environment values go in, only their names come out. */
  readonly mcpServers = {
    list: (page?: Page) => this.http.request<PageOf<McpServer>>('GET', `${V1}/mcp-servers`, undefined, { ...page }),
    get: (serverId: string) => this.http.request<McpServer>('GET', `${V1}/mcp-servers/${id(serverId)}`),
    /** 409 when the owner has a server of that name; 403 for stdio unless the operator enabled it. */
    create: (body: CreateMcpServer) => this.http.request<McpServer>('POST', `${V1}/mcp-servers`, body),
    /** Given `headers` or `env` replace the stored set as a whole. */
    update: (serverId: string, body: UpdateMcpServer) =>
      this.http.request<McpServer>('PATCH', `${V1}/mcp-servers/${id(serverId)}`, body),
    remove: (serverId: string) => this.http.request<void>('DELETE', `${V1}/mcp-servers/${id(serverId)}`),
    /** Its tools as agents see them (`<server>__<tool>`) and the connection state. */
    tools: (serverId: string) => this.http.request<McpServerTools>('GET', `${V1}/mcp-servers/${id(serverId)}/tools`),
  };

  readonly keys = {
    list: (ownerId?: string) => this.http.request<{ items: ApiKey[] }>('GET', `${V1}/keys`, undefined, { ownerId }),
    /** The answer holds the key itself: the only time it is shown. */
    create: (body: CreateApiKey = {}) => this.http.request<CreatedApiKey>('POST', `${V1}/keys`, body),
    revoke: (keyId: string) => this.http.request<void>('DELETE', `${V1}/keys/${id(keyId)}`),
  };

  readonly memory = {
    save: (body: SaveMemory) => this.http.request<{ id: string; embedded: boolean }>('POST', `${V1}/memory/save`, body),
    query: (q: MemorySearch) =>
      this.http.request<{ items: MemoryItem[] }>('GET', `${V1}/memory/query`, undefined, {
        agentId: q.agentId,
        query: q.query,
        filter: q.filter ? JSON.stringify(q.filter) : undefined,
        limit: q.limit,
      }),
  };
}
