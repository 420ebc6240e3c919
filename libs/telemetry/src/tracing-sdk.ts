import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TracingOptions {
  /** OTLP/HTTP base endpoint (`/v1/traces` is appended) or a full traces URL. Empty: tracing off. */
  endpoint: string;
  tracesEndpoint: string;
  /** `k=v,k2=v2` (OTEL_EXPORTER_OTLP_HEADERS). */
  headers: string;
  serviceName: string;
}

let provider: BasicTracerProvider | undefined;

/**
 * Registers the SDK (OTLP/HTTP JSON exporter, batch processor, async-local context, W3C
 * propagation) when an endpoint is configured; a second call is a no-op. Returns whether on.
 */
export function startTracing(o: TracingOptions): boolean {
  if (provider) return true;
  const url = o.tracesEndpoint || (o.endpoint ? `${o.endpoint.replace(/\/$/, '')}/v1/traces` : '');
  if (!url) return false;
  const exporter = new OTLPTraceExporter({ url, headers: parseHeaders(o.headers) });
  const processors: SpanProcessor[] = [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })];
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: o.serviceName }),
    spanProcessors: processors,
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return true;
}

/** Exports what is buffered and stops (at shutdown). */
export async function stopTracing(): Promise<void> {
  const p = provider;
  provider = undefined;
  if (p) await p.shutdown().catch(() => undefined);
}

export async function flushTracing(): Promise<void> {
  await provider?.forceFlush().catch(() => undefined);
}

function parseHeaders(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of s.split(',')) {
    const i = pair.indexOf('=');
    if (i > 0) out[decodeURIComponent(pair.slice(0, i).trim())] = decodeURIComponent(pair.slice(i + 1).trim());
  }
  return out;
}
