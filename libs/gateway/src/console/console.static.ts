import { INestApplication, Logger } from '@nestjs/common';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import express, { NextFunction, Request, Response } from 'express';

/** Paths that belong to the API, never to the console. */
const API = /^\/(api|ws|mcp|metrics|health|livez|readyz|startupz)(\/|$)/;

// The built console (dist/console, from `npm run build`): found beside the compiled gateway,
// or, when the gateway runs from source (tests), in dist/ of the repository.
export function consoleDir(): string | null {
  const candidates = [
    join(__dirname, '..', '..', '..', '..', 'console'),
    join(__dirname, '..', '..', '..', '..', 'dist', 'console'),
  ];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? null;
}

/**
 * Serves the web console at `/`: its files (hashed assets cached for good, index.html never), and
 * index.html for any other GET of a non-API path, so that the console's own routes (/agents/…)
 * load on a reload. /api, /ws, /mcp, /metrics and the probes (/health, /livez, /readyz, /startupz) are left
 * to the gateway. The page says whether API keys are required (`<meta name="wiz-auth">`), so that the
 * console opens at once when they are not, and asks for one without a failed request when they are.
 */
export function serveConsole(app: INestApplication, auth: boolean, dir: string | null = consoleDir()): void {
  if (!dir) {
    new Logger('Console').warn('the web console is not built (run `npm run build`): / answers 404');
    return;
  }
  const page = readFileSync(join(dir, 'index.html'), 'utf8').replace(
    '</head>',
    `<meta name="wiz-auth" content="${auth ? 'on' : 'off'}" />\n  </head>`,
  );
  const files = express.static(dir, {
    index: false,
    setHeaders: (res, path) =>
      res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'),
  });
  const sendPage = (res: Response) => {
    res.setHeader('cache-control', 'no-cache');
    res.type('html').send(page);
  };
  app.use((req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || API.test(req.path)) return next();
    if (req.path === '/index.html') return sendPage(res);
    files(req, res, () => {
      // A missing asset is a 404, not the page; every other path is one of the console's routes.
      if (req.path.startsWith('/assets/') || !req.accepts('html')) return next();
      sendPage(res);
    });
  });
}
