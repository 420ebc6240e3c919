import type { NextFunction, Request, Response } from 'express';
import {
  context,
  contextFrom,
  failSpan,
  httpDuration,
  httpRequests,
  SpanKind,
  startTimer,
  trace,
  tracer,
} from '@wiz/telemetry';

// One server span per HTTP request (its parent from the caller's `traceparent`, if any) and the
// request metrics, labelled by route template (never by the ids in the path).
export function httpTelemetry(req: Request, res: Response, next: NextFunction): void {
  if (req.path === '/metrics') return next();
  const elapsed = startTimer();
  const parent = contextFrom(req.headers as Record<string, string>) ?? context.active();
  const span = tracer().startSpan(
    req.method,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } },
    parent,
  );
  res.on('finish', () => {
    const route = routeOf(req);
    const status = String(res.statusCode);
    httpRequests.inc({ method: req.method, route, status });
    httpDuration.observe({ method: req.method, route }, elapsed());
    span.updateName(`${req.method} ${route}`);
    span.setAttributes({ 'http.route': route, 'http.response.status_code': res.statusCode });
    if (res.statusCode >= 500) failSpan(span, new Error(`HTTP ${status}`), status);
    span.end();
  });
  context.with(trace.setSpan(parent, span), next);
}

function routeOf(req: Request): string {
  const path = (req.route as { path?: string } | undefined)?.path;
  if (typeof path === 'string') return `${req.baseUrl}${path}`;
  return req.path === '/ws' ? '/ws' : 'unmatched';
}
