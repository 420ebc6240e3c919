import { INestApplication, Logger as NestLogger } from '@nestjs/common';
import { trustProxyOf, WIZ_CONFIG, WizConfig } from '@wiz/config';
import { describeStore, storeOptionsOf } from '@wiz/persistence';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { json } from 'express';
import { Logger } from 'nestjs-pino';
import { startTracing } from '@wiz/telemetry';
import { HttpErrorFilter } from './http-exception.filter';
import { guardBody } from './body-guard';
import { httpTelemetry } from './http-telemetry';
import { answerClientError } from './client-error';

export async function createApp(root: Parameters<typeof NestFactory.create>[0]): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(root, {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  const config = app.get<WizConfig>(WIZ_CONFIG);
  startTracing({
    endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    tracesEndpoint: config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    headers: config.OTEL_EXPORTER_OTLP_HEADERS,
    serviceName: config.OTEL_SERVICE_NAME,
  });
  // Who the client is (req.ip): the TCP peer, or X-Forwarded-For through trusted proxies only.
  app.set('trust proxy', trustProxyOf(config));
  // Bodies are bounded well under the bus's message limit; events clip what they carry anyway.
  app.use(httpTelemetry, json({ limit: config.WIZ_MAX_BODY_BYTES }), jsonErrors, guardBody);
  const origins = config.WIZ_CORS_ORIGINS.split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  if (origins.length > 0) {
    app.enableCors({
      origin: origins.includes('*') ? true : origins,
      allowedHeaders: ['authorization', 'content-type', 'x-request-id', 'last-event-id', 'traceparent', 'tracestate'],
      exposedHeaders: ['x-request-id', 'retry-after'],
      maxAge: 600,
    });
  }
  app.useGlobalFilters(new HttpErrorFilter());
  app.getHttpServer().on('clientError', answerClientError);
  app.enableShutdownHooks();
  return app;
}

// Body-parser errors answered here: behind Nest they would lose their type. They are the
// client's (malformed JSON, too large, an encoding or charset it cannot read): 4xx, never 500.
function jsonErrors(
  err: { type?: string; message?: string; status?: number; limit?: number } | undefined,
  _req: Request,
  res: Response,
  next: NextFunction,
) {
  if (err?.type === 'entity.parse.failed') {
    res.status(400).json({ statusCode: 400, code: 'malformed_json', message: `malformed JSON body: ${err.message}` });
  } else if (err?.type === 'entity.too.large') {
    const message = `request body larger than ${err.limit} bytes`;
    res.status(413).json({ statusCode: 413, code: 'validation_failed', message });
  } else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') {
    res.status(415).json({ statusCode: 415, code: 'validation_failed', message: String(err.message) });
  } else if (err?.status && err.status >= 400 && err.status < 500) {
    // Also a body that does not decode as its Content-Encoding says (zlib's errors carry a
    // status but no body-parser type): found by the fuzz suite, answered 500 before.
    const message = err.type ? String(err.message) : `request body could not be decoded: ${err.message}`;
    res.status(err.status).json({ statusCode: err.status, code: 'validation_failed', message });
  } else {
    next(err);
  }
}

/** Runs an app's main; a failure to start prints its message (no stack: it says what to fix) and exits 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}

/** One line that tells a user where this process listens and what it is connected to. */
export function announce(what: string, config: WizConfig): void {
  const store = describeStore(storeOptionsOf(config));
  new NestLogger('Wiz').log(
    `${what} listening on http://${config.HOST}:${config.PORT} (store: ${store}; NATS: ${config.NATS_URL}; prefix: ${config.WIZ_BUS_PREFIX})`,
  );
}
