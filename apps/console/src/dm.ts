import { api } from './api';
import { navigate } from './router';

/** The user id the console posts as (a free id within the owner). */
export const CONSOLE_USER = 'console';

/** Opens the DM with an agent: the existing one, or a new one. */
export async function openDm(agentId: string): Promise<void> {
  const page = await api().conversations.list({ limit: 500 });
  const existing = page.items.find(
    (c) => c.kind === 'dm' && c.participants.some((p) => p.kind === 'agent' && p.id === agentId),
  );
  const dm =
    existing ?? (await api().conversations.create({ kind: 'dm', agentId, userId: CONSOLE_USER, userName: 'You' }));
  navigate(`/conversations/${dm.id}`);
}
