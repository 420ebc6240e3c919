import { z } from 'zod';
import { EventEnvelopeSchema, EventPayloadSchemas } from './event.schema';
import { ClientFrameSchema, ServerFrameSchema, TOPIC_KINDS } from './ws.schema';
import { WS_CLOSE_CODES } from './vocabulary';

// The WebSocket protocol as JSON Schema (draft 2020-12), generated from the zod contracts with
// zod's own `z.toJSONSchema`, so it cannot drift from what the gateway validates. Served at
// `GET /api/ws-schema.json` and written by `npm run schemas`.
export function wsProtocolJsonSchema(): Record<string, unknown> {
  const json = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any' });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://github.com/wiz/wiz/ws-protocol.schema.json',
    title: 'Wiz WebSocket protocol (GET /ws)',
    description:
      'Every frame is one JSON text frame. A client sends ClientFrame, the server sends ServerFrame. ' +
      `Topics: ${TOPIC_KINDS.join(', ')}. Close codes: ${Object.entries(WS_CLOSE_CODES)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}.`,
    $defs: {
      ClientFrame: json(ClientFrameSchema, 'input'),
      ServerFrame: json(ServerFrameSchema, 'output'),
      EventEnvelope: json(EventEnvelopeSchema, 'output'),
      /** The `data` of an event, by its `type`. */
      EventData: Object.fromEntries(Object.entries(EventPayloadSchemas).map(([type, s]) => [type, json(s, 'output')])),
    },
    oneOf: [{ $ref: '#/$defs/ClientFrame' }, { $ref: '#/$defs/ServerFrame' }],
  };
}
