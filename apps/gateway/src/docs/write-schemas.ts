import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { wsProtocolJsonSchema } from '@wiz/contracts';
import { openApiDocument } from '@wiz/gateway';

// `npm run schemas [-- <dir>]`: writes the OpenAPI document and the WS protocol's JSON Schema
// (default `./docs`), for client generators and reviewers.
const dir = process.argv[2] ?? 'docs';
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'openapi.json'), `${JSON.stringify(openApiDocument(), null, 2)}\n`);
writeFileSync(join(dir, 'ws-protocol.schema.json'), `${JSON.stringify(wsProtocolJsonSchema(), null, 2)}\n`);
console.log(`wrote ${join(dir, 'openapi.json')} and ${join(dir, 'ws-protocol.schema.json')}`);
