import { wsProtocolJsonSchema } from './ws-protocol.json-schema';
import { EVENT_TYPES } from './event.schema';

describe(wsProtocolJsonSchema.name, () => {
  const sut = wsProtocolJsonSchema() as { $defs: Record<string, any> };

  it('describes every client frame, every server frame and every event type', () => {
    const types = (def: any) => def.oneOf.map((o: any) => o.properties.type.const).sort();
    expect(types(sut.$defs['ClientFrame'])).toEqual(['auth', 'ping', 'subscribe', 'unsubscribe']);
    expect(types(sut.$defs['ServerFrame'])).toEqual([
      'authenticated',
      'error',
      'event',
      'live',
      'pong',
      'subscribed',
      'unsubscribed',
    ]);
    expect(Object.keys(sut.$defs['EventData']).sort()).toEqual([...EVENT_TYPES].sort());
  });

  it('keeps the validation rules (strict client frames, topic pattern)', () => {
    const subscribe = sut.$defs['ClientFrame'].oneOf.find((o: any) => o.properties.type.const === 'subscribe');
    expect(subscribe.additionalProperties).toBe(false);
    expect(subscribe.properties.topic.pattern).toContain('conversation');
    expect(subscribe.required).toEqual(['type', 'topic']);
  });
});
