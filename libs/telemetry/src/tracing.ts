import {
  Attributes,
  context,
  Context,
  Link,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
  Tracer,
} from '@opentelemetry/api';
import { randomBytes } from 'node:crypto';

// Tracing through the OpenTelemetry API only. The SDK (exporter, processors, context manager)
// is registered by `startTracing` when an OTLP endpoint is configured; otherwise every call
// here is the API's no-op and costs next to nothing.
export const TRACER_NAME = 'wiz';

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** W3C trace-context headers (`traceparent`, `tracestate`) of `ctx` (default: the active one). */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ? carrier : undefined;
}

/** The context whose parent is given by W3C headers (or a stored `traceparent`). */
export function contextFrom(headers: Record<string, string> | undefined | null): Context | undefined {
  if (!headers?.traceparent) return undefined;
  const ctx = propagation.extract(ROOT_CONTEXT, headers);
  return trace.getSpanContext(ctx) ? ctx : undefined;
}

export function contextFromTraceparent(traceparent: string | null | undefined): Context | undefined {
  return traceparent ? contextFrom({ traceparent }) : undefined;
}

/** The active trace's id, if a span records one. */
export function activeTraceId(): string | undefined {
  const sc = trace.getSpanContext(context.active());
  return sc && trace.isSpanContextValid(sc) ? sc.traceId : undefined;
}

/** The active trace id, or a fresh one in the W3C format (tracing off): events always carry one. */
export function traceIdOrNew(): string {
  return activeTraceId() ?? randomBytes(16).toString('hex');
}

/** The active span's `traceparent`, for a stored job to pick its trace up later. */
export function activeTraceparent(): string | null {
  return traceHeaders()?.traceparent ?? null;
}

export function linkTo(ctx: Context | undefined): Link[] {
  const sc = ctx && trace.getSpanContext(ctx);
  return sc ? [{ context: sc }] : [];
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  parent?: Context;
  links?: Link[];
}

/** Runs `fn` inside a new span (active for what `fn` awaits); errors set `error.type` and rethrow. */
export async function inSpan<T>(name: string, opts: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const parent = opts.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: opts.kind, attributes: opts.attributes, links: opts.links }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (e) {
    failSpan(span, e);
    throw e;
  } finally {
    span.end();
  }
}

export function failSpan(span: Span, e: unknown, type?: string): void {
  span.setAttribute('error.type', type ?? (e instanceof Error ? e.constructor.name : 'error'));
  span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
}

// A command taken off the bus carries its trace context here (not in its payload) until the
// runtime runs it.
const carried = new WeakMap<object, Context>();
export function carryContext(o: object, ctx: Context | undefined): void {
  if (ctx) carried.set(o, ctx);
}
export function carriedContext(o: object): Context | undefined {
  return carried.get(o);
}

export { SpanKind, SpanStatusCode, context, trace };
export type { Span, Context };
