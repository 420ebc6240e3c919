import { Module } from '@nestjs/common';
import { DocsController } from './docs.controller';

// The OpenAPI document, its UI and the WebSocket protocol's JSON schema.
@Module({ controllers: [DocsController] })
export class DocsModule {}
