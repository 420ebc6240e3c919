import { Agent } from '@wiz/contracts';
import { AgentEntity } from '@wiz/persistence';

export function toAgent(e: AgentEntity): Agent {
  return {
    id: e.id,
    name: e.name,
    role: e.role,
    backstory: e.backstory,
    goal: e.goal,
    systemPrompt: e.systemPrompt,
    model: e.model,
    loop: e.loop,
    behaviorRules: e.behaviorRules,
    behaviorVersion: e.behaviorVersion,
    tools: e.tools ?? null,
    delegates: e.delegates ?? null,
    approvals: e.approvals ?? null,
    status: e.status,
    paused: e.paused,
    doubleTexting: e.doubleTexting,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}
