import { Controller, Get, Header } from '@nestjs/common';
import { wsProtocolJsonSchema } from '@wiz/contracts';
import { Public } from '@wiz/platform';
import { openApiDocument } from './openapi.document';

// The machine-readable descriptions of the API, public so that tools can fetch them.
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

  // A browsable page: Swagger UI, loaded by the browser from a CDN, reading docs.json.
  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return `<!doctype html><html><head><meta charset="utf-8"><title>Wiz API</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="ui"></div><script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ url: 'docs.json', dom_id: '#ui' });</script></body></html>`;
  }
}
