import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { notFound, wsProtocolJsonSchema } from '@wiz/contracts';
import { Public } from '@wiz/platform';
import { openApiDocument } from './openapi.document';
import { DOCS_PAGE, docsAsset } from './swagger-ui';

// The machine-readable descriptions of the API, public so that tools can fetch them, and a
// browsable page (Swagger UI, served from this gateway: no CDN) reading docs.json.
@Public()
@Controller('api')
export class DocsController {
  @Get('docs.json')
  openApi(): object {
    return openApiDocument();
  }

  @Get('ws-schema.json')
  wsSchema(): object {
    return wsProtocolJsonSchema();
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return DOCS_PAGE;
  }

  @Get('docs/assets/:name')
  asset(@Param('name') name: string, @Res() res: Response): void {
    const asset = docsAsset(name);
    if (!asset) throw notFound('asset', name);
    res.type(asset.contentType).set('cache-control', 'public, max-age=86400');
    if ('text' in asset) res.send(asset.text);
    else res.sendFile(asset.file);
  }
}
