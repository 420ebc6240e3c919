import { z } from 'zod';
import {
  ActivityContextSchema, AdjustBehaviorOfSchema, AdjustBehaviorSchema, MemoryItemSchema, MemoryQuerySchema, SaveMemorySchema, AgentSchema, ApiKeyListQuerySchema, CreateProviderSchema, ProviderSchema, ApiKeySchema, CreateAgentSchema, CreateApiKeySchema, CreatedApiKeySchema, CreateJobSchema,
  CreateScheduleSchema, CreateTaskSchema, ExecuteSchema, JobCountsQuerySchema, JobListQuerySchema, JobSchema, JobStatusSchema,
  PageQuerySchema, ScheduleSchema, AddParticipantSchema, ConversationListQuerySchema, ConversationSchema, CreateConversationSchema,
  CreateProjectSchema, MessageListQuerySchema, MessagePageSchema, MessageSchema, ParticipantSchema, PostMessageSchema, ProjectSchema,
  UpdateMessageSchema, SseQuerySchema, TaskListQuerySchema, TaskSchema, UpdateAgentSchema,
} from '@wiz/contracts';

// Every REST route, described from the zod contracts: the source of the OpenAPI document.
// A test checks this table against the routes the app really registers.
export interface ApiRoute {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Express style (`:id`); turned into `{id}` for OpenAPI. */
  path: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  status: number;
  response?: z.ZodType;
  /** Extra answers beside the error shape (e.g. 202 of execute). */
  also?: Record<number, { description: string; schema?: z.ZodType }>;
  public?: boolean;
  sse?: boolean;
}

const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), total: z.int(), limit: z.int(), offset: z.int() });
const HealthSchema = z.object({ status: z.enum(['ok', 'unavailable']), nats: z.object({ ok: z.boolean(), detail: z.string() }), database: z.object({ ok: z.boolean(), detail: z.string() }) });

export const API_ROUTES: ApiRoute[] = [
  { method: 'get', path: '/health', summary: 'NATS and database reachability (503 when one is down)', tag: 'health', status: 200, response: HealthSchema, public: true },
  { method: 'get', path: '/api/docs', summary: 'this API, as a browsable page', tag: 'docs', status: 200, public: true },
  { method: 'get', path: '/api/docs.json', summary: 'this API as an OpenAPI 3.1 document', tag: 'docs', status: 200, public: true },
  { method: 'get', path: '/api/ws-schema.json', summary: 'the WebSocket protocol (GET /ws) as JSON Schema', tag: 'docs', status: 200, public: true },

  { method: 'post', path: '/api/v1/agents', summary: 'create an agent', tag: 'agents', body: CreateAgentSchema, status: 201, response: AgentSchema },
  { method: 'get', path: '/api/v1/agents', summary: 'list agents', tag: 'agents', query: PageQuerySchema, status: 200, response: page(AgentSchema) },
  { method: 'get', path: '/api/v1/agents/:id', summary: 'get an agent', tag: 'agents', status: 200, response: AgentSchema },
  { method: 'patch', path: '/api/v1/agents/:id', summary: 'update an agent', tag: 'agents', body: UpdateAgentSchema, status: 200, response: AgentSchema },
  { method: 'delete', path: '/api/v1/agents/:id', summary: 'delete an agent', tag: 'agents', status: 204 },
  { method: 'post', path: '/api/v1/agents/:id/pause', summary: 'hold the agent\'s queue', tag: 'agents', status: 200, response: AgentSchema },
  { method: 'post', path: '/api/v1/agents/:id/resume', summary: 'release the agent\'s queue', tag: 'agents', status: 200, response: AgentSchema },
  {
    method: 'post', path: '/api/v1/agents/:id/execute', summary: 'run an instruction and wait for its end', tag: 'agents', body: ExecuteSchema, status: 200, response: JobSchema,
    also: { 202: { description: 'the wait (waitMs) ran out: the job, still running; follow it at Location', schema: JobSchema } },
  },
  { method: 'post', path: '/api/v1/agents/:id/behavior', summary: 'merge behavior rules into the agent (versioned; from its next job)', tag: 'agents', body: AdjustBehaviorSchema, status: 200, response: AgentSchema },
  { method: 'get', path: '/api/v1/agents/:id/events', summary: 'the agent\'s events as Server-Sent Events (resume with Last-Event-ID)', tag: 'events', query: SseQuerySchema, status: 200, sse: true },

  { method: 'post', path: '/api/v1/jobs', summary: 'submit a job', tag: 'jobs', body: CreateJobSchema, status: 202, response: JobSchema },
  { method: 'get', path: '/api/v1/jobs', summary: 'list jobs, newest first', tag: 'jobs', query: JobListQuerySchema, status: 200, response: page(JobSchema) },
  { method: 'get', path: '/api/v1/jobs/counts', summary: 'jobs per status', tag: 'jobs', query: JobCountsQuerySchema, status: 200, response: z.record(JobStatusSchema, z.int()) },
  { method: 'get', path: '/api/v1/jobs/:id', summary: 'get a job, with its children', tag: 'jobs', status: 200, response: JobSchema.extend({ children: z.array(z.uuid()) }) },
  { method: 'post', path: '/api/v1/jobs/:id/cancel', summary: 'cancel a job', tag: 'jobs', status: 200, response: JobSchema },
  { method: 'post', path: '/api/v1/jobs/:id/retry', summary: 'retry a failed or cancelled job', tag: 'jobs', status: 200, response: JobSchema },
  { method: 'get', path: '/api/v1/jobs/:id/context', summary: 'the job\'s ActivityContext: plan, criteria, messages, tool calls, validation', tag: 'jobs', status: 200, response: ActivityContextSchema },
  { method: 'get', path: '/api/v1/jobs/:id/events', summary: 'the job\'s events as Server-Sent Events (resume with Last-Event-ID)', tag: 'events', query: SseQuerySchema, status: 200, sse: true },

  { method: 'post', path: '/api/v1/schedules', summary: 'create a cron schedule', tag: 'schedules', body: CreateScheduleSchema, status: 201, response: ScheduleSchema },
  { method: 'get', path: '/api/v1/schedules', summary: 'list schedules', tag: 'schedules', query: PageQuerySchema, status: 200, response: page(ScheduleSchema) },
  { method: 'get', path: '/api/v1/schedules/:id', summary: 'get a schedule', tag: 'schedules', status: 200, response: ScheduleSchema },
  { method: 'delete', path: '/api/v1/schedules/:id', summary: 'delete a schedule', tag: 'schedules', status: 204 },

  { method: 'post', path: '/api/v1/tasks', summary: 'an ad hoc, planned (runAt) or cron task: a job or a schedule', tag: 'tasks', body: CreateTaskSchema, status: 201, response: TaskSchema },
  { method: 'get', path: '/api/v1/tasks', summary: 'list tasks of one type (job or schedule)', tag: 'tasks', query: TaskListQuerySchema, status: 200, response: page(TaskSchema) },
  { method: 'get', path: '/api/v1/tasks/:id', summary: 'get a task', tag: 'tasks', status: 200, response: TaskSchema },

  { method: 'post', path: '/api/v1/projects', summary: 'create a project (it groups channels)', tag: 'conversations', body: CreateProjectSchema, status: 201, response: ProjectSchema },
  { method: 'get', path: '/api/v1/projects', summary: 'list projects', tag: 'conversations', query: PageQuerySchema, status: 200, response: page(ProjectSchema) },
  { method: 'get', path: '/api/v1/projects/:id', summary: 'get a project', tag: 'conversations', status: 200, response: ProjectSchema },
  { method: 'post', path: '/api/v1/conversations', summary: 'create a DM with an agent, or a channel in a project', tag: 'conversations', body: CreateConversationSchema, status: 201, response: ConversationSchema },
  { method: 'get', path: '/api/v1/conversations', summary: 'list conversations (of a project with projectId)', tag: 'conversations', query: ConversationListQuerySchema, status: 200, response: page(ConversationSchema) },
  { method: 'get', path: '/api/v1/conversations/:id', summary: 'get a conversation and its participants', tag: 'conversations', status: 200, response: ConversationSchema },
  { method: 'post', path: '/api/v1/conversations/:id/participants', summary: 'add a person or an agent to a channel', tag: 'conversations', body: AddParticipantSchema, status: 201, response: ParticipantSchema },
  { method: 'delete', path: '/api/v1/conversations/:id/participants/:kind/:participantId', summary: 'remove a person (kind user) or an agent from a channel', tag: 'conversations', status: 204 },
  { method: 'post', path: '/api/v1/conversations/:id/messages', summary: "a person's message: the DM's agent, or the agents it @mentions in a channel, get a job each", tag: 'conversations', body: PostMessageSchema, status: 201, response: MessageSchema },
  { method: 'get', path: '/api/v1/conversations/:id/messages', summary: 'messages, newest first, paged with a cursor', tag: 'conversations', query: MessageListQuerySchema, status: 200, response: MessagePageSchema },
  { method: 'patch', path: '/api/v1/conversations/:id/messages/:messageId', summary: 'edit a message', tag: 'conversations', body: UpdateMessageSchema, status: 200, response: MessageSchema },
  { method: 'get', path: '/api/v1/conversations/:id/events', summary: 'the conversation\'s events as Server-Sent Events (resume with Last-Event-ID)', tag: 'events', query: SseQuerySchema, status: 200, sse: true },
  { method: 'delete', path: '/api/v1/conversations/:id/messages/:messageId', summary: 'delete a message (soft: it keeps its place, without content)', tag: 'conversations', status: 204 },

  { method: 'post', path: '/api/v1/keys', summary: 'create an API key (the key is shown once)', tag: 'keys', body: CreateApiKeySchema, status: 201, response: CreatedApiKeySchema },
  { method: 'get', path: '/api/v1/keys', summary: 'list API keys (never the keys themselves)', tag: 'keys', query: ApiKeyListQuerySchema, status: 200, response: z.object({ items: z.array(ApiKeySchema) }) },
  { method: 'delete', path: '/api/v1/keys/:id', summary: 'revoke an API key', tag: 'keys', status: 204 },

  { method: 'post', path: '/api/v1/memory/save', summary: 'save a text (and metadata) to an agent\'s memory; embedded for search by meaning', tag: 'memory', body: SaveMemorySchema, status: 201, response: z.object({ id: z.uuid(), embedded: z.boolean() }) },
  { method: 'get', path: '/api/v1/memory/query', summary: 'an agent\'s memory items by meaning (query) and/or metadata (filter, a JSON object)', tag: 'memory', query: MemoryQuerySchema, status: 200, response: z.object({ items: z.array(MemoryItemSchema) }) },
  { method: 'post', path: '/api/v1/behavior/adjust', summary: 'merge behavior rules into an agent (POST /agents/:id/behavior with the agent in the body)', tag: 'agents', body: AdjustBehaviorOfSchema, status: 200, response: AgentSchema },
  { method: 'post', path: '/api/v1/providers', summary: 'register a model provider (its API key is stored encrypted and never returned)', tag: 'providers', body: CreateProviderSchema, status: 201, response: ProviderSchema },
  { method: 'get', path: '/api/v1/providers', summary: 'list model providers', tag: 'providers', query: PageQuerySchema, status: 200, response: page(ProviderSchema) },
  { method: 'get', path: '/api/v1/providers/:id', summary: 'get a model provider', tag: 'providers', status: 200, response: ProviderSchema },
  { method: 'delete', path: '/api/v1/providers/:id', summary: 'delete a model provider', tag: 'providers', status: 204 },
];
