import { DynamicModule, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { ConfigModule, WizConfig } from '@wiz/config';
import { BusModule } from '@wiz/bus';
import { PersistenceModule } from '@wiz/persistence';
import { QueueModule } from '@wiz/queue';
import { activeTraceId, collectProcessMetrics, context, trace } from '@wiz/telemetry';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health/health.controller';
import { PlatformChecks } from './health/platform-checks';
import { ReadinessChecks } from './health/readiness-checks';
import { logDestination, withDestination } from './log-output';
import { MetricsController } from './metrics.controller';

const PROBES = new Set(['/health', '/livez', '/readyz', '/startupz']);
const SANE_REQUEST_ID = /^[\w.:@-]{1,128}$/;
function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

function traceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  const traceId = activeTraceId();
  return traceId && span ? { trace_id: traceId, span_id: span.spanContext().spanId } : {};
}

// What every Wiz process stands on: configuration, structured logs (JSON lines, readable lines
// on a terminal), the store, the bus and the outbox. Apps add their features (gateway, runtime) on top.
@Module({})
export class PlatformModule {
  static forRoot(config: WizConfig, clientName: string): DynamicModule {
    collectProcessMetrics();
    return {
      module: PlatformModule,
      // Global: features register their readiness checks without importing the platform.
      global: true,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: withDestination(logDestination(process.stdout.isTTY === true), {
            level: config.LOG_LEVEL,
            name: clientName,
            // Secrets never reach the logs (docs/architecture.md, invariant 6).
            redact: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'],
            autoLogging: { ignore: (req) => PROBES.has(req.url ?? '') },
            // Every response carries `x-request-id` (the caller's own, if it sent a sane one),
            // and every log line of the request carries it as `req.id`.
            genReqId: requestId,
            // Every line logged inside a traced operation carries its trace and span ids.
            mixin: traceFields,
          }),
        }),
        PersistenceModule,
        BusModule.forRoot(clientName),
        QueueModule,
        TerminusModule.forRoot({ logger: false }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [ReadinessChecks, PlatformChecks],
      exports: [ReadinessChecks],
    };
  }
}
