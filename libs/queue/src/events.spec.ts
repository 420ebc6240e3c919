import { MAX_EVENT_DATA_BYTES } from '@wiz/contracts';
import { makeEvent } from './events';

const NATS_MAX_PAYLOAD = 1024 * 1024;
const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');

// Every event fits the bus by construction, whatever a tenant or a model put in it.
describe(makeEvent.name, () => {
  const ids = { agentId: crypto.randomUUID(), jobId: crypto.randomUUID(), traceId: 't' };

  it("clips a model's 2 MiB write_file arguments in tool.called", () => {
    const args = { path: 'big.txt', content: 'y'.repeat(2 * 1024 * 1024) };
    const sut = makeEvent('tool.called', ids, { step: 1, toolCallId: 'c1', tool: 'write_file', args });
    expect(bytes(sut)).toBeLessThan(NATS_MAX_PAYLOAD);
    expect(bytes(sut.data)).toBeLessThanOrEqual(MAX_EVENT_DATA_BYTES);
    expect(sut.data).toMatchObject({ tool: 'write_file', args: { path: 'big.txt' } });
  });

  it('clips 1 MiB of memory metadata in memory.update and keeps the rest', () => {
    const item = {
      id: crypto.randomUUID(),
      agentId: ids.agentId,
      text: 'note',
      metadata: { blob: '\u0001'.repeat(1024 * 1024) },
      jobId: null,
      createdAt: new Date().toISOString(),
    };
    const sut = makeEvent('memory.update', ids, { item });
    expect(bytes(sut)).toBeLessThan(NATS_MAX_PAYLOAD);
    expect(sut.data.item).toMatchObject({ id: item.id, text: 'note' });
  });

  it('leaves small events as they are', () => {
    const sut = makeEvent('job.progress', ids, { progress: 50 });
    expect(sut.data).toEqual({ progress: 50 });
  });
});
