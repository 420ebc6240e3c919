import { dirname, join } from 'node:path';

// Swagger UI for GET /api/docs, served by the gateway itself from the swagger-ui-dist package so
// the page works offline and behind a strict firewall. Only the files below are served (no path
// from the request reaches the file system). The page's own start-up script is a file too, so a
// Content-Security-Policy without 'unsafe-inline' still allows it.

export const DOCS_ASSETS_PATH = '/api/docs/assets';

const DIST = dirname(require.resolve('swagger-ui-dist/package.json'));

const INIT_JS = `window.ui = SwaggerUIBundle({ url: '/api/docs.json', dom_id: '#ui' });\n`;

type Asset = { contentType: string } & ({ file: string } | { text: string });

const ASSETS: Record<string, Asset> = {
  'swagger-ui.css': { contentType: 'text/css; charset=utf-8', file: join(DIST, 'swagger-ui.css') },
  'swagger-ui-bundle.js': {
    contentType: 'text/javascript; charset=utf-8',
    file: join(DIST, 'swagger-ui-bundle.js'),
  },
  'init.js': { contentType: 'text/javascript; charset=utf-8', text: INIT_JS },
};

/** The asset called `name`, or undefined for any other name. */
export const docsAsset = (name: string): Asset | undefined =>
  Object.prototype.hasOwnProperty.call(ASSETS, name) ? ASSETS[name] : undefined;

export const DOCS_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Wiz API</title>
<link rel="stylesheet" href="${DOCS_ASSETS_PATH}/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="${DOCS_ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="${DOCS_ASSETS_PATH}/init.js"></script></body></html>`;
