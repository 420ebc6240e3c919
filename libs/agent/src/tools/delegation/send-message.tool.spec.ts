import type { ToolContext } from '../tool';
import { ToolError } from '../tool';
import { messageHopsOf, sendMessageToAgent } from './send-message.tool';

// An agent messaging itself (or two agents messaging each other) must not make jobs forever.
describe(sendMessageToAgent.name, () => {
  const submitted: Array<{ data: Record<string, unknown> }> = [];
  const self = { id: '11111111-1111-4111-8111-111111111111', name: 'Echo', delegates: null };
  const ctxFor = (data: Record<string, unknown> | null) =>
    ({
      job: { id: crypto.randomUUID(), ownerId: 'o', traceId: 't', data },
      agent: self,
      toolCallId: 'c1',
      config: { WIZ_DELEGATION_MAX_DEPTH: 4 },
      directory: { resolve: async () => self, mayReach: () => true },
      jobs: {
        submit: async (_owner: string, body: { data: Record<string, unknown> }) => {
          submitted.push(body);
          return { id: crypto.randomUUID() };
        },
      },
    }) as unknown as ToolContext<'directory' | 'jobs' | 'config'>;

  it('carries the hop count in the new job', async () => {
    await sendMessageToAgent.handler({ agent: 'Echo', message: 'hi' }, ctxFor({ messageHops: 2 }));
    expect(submitted.at(-1)!.data).toMatchObject({ from: 'Echo', messageHops: 3 });
  });

  it('refuses past WIZ_DELEGATION_MAX_DEPTH messages in a chain', async () => {
    const before = submitted.length;
    await expect(
      sendMessageToAgent.handler({ agent: 'Echo', message: 'hi' }, ctxFor({ messageHops: 4 })),
    ).rejects.toThrow(ToolError);
    expect(submitted.length).toBe(before);
  });

  it('counts a job nobody messaged as 0 hops, whatever its data says', () => {
    expect(messageHopsOf(null)).toBe(0);
    expect(messageHopsOf({ messageHops: -50 })).toBe(0);
    expect(messageHopsOf({ messageHops: 'x' })).toBe(0);
  });
});
