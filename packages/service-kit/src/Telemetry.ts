import { FastifyOtelInstrumentation } from '@fastify/otel'
import { type Context, createTraceState, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { NodeSDK, tracing } from '@opentelemetry/sdk-node'
import type { Env } from './Config.ts'

let sdk: NodeSDK | undefined

export const DEFAULT_SAMPLE_RATIO = 0.1

export interface TelemetryOptions {
  /** Used when neither `OTEL_SERVICE_NAME` nor `K_SERVICE` is set. */
  serviceName: string
  env?: Env
}

/**
 * Starts the OpenTelemetry Node SDK with an OTLP/HTTP trace exporter, only when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Call it in `server.ts` before the app is built: the
 * `@fastify/otel` instrumentation attaches itself to every Fastify instance created afterwards.
 * Returns whether tracing was started. Sampling follows `OTEL_TRACES_SAMPLER(_ARG)` when set.
 */
export function startTelemetry({ serviceName, env = process.env }: TelemetryOptions): boolean {
  if (sdk || !env.OTEL_EXPORTER_OTLP_ENDPOINT) return sdk !== undefined
  sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || env.K_SERVICE || serviceName,
    traceExporter: new OTLPTraceExporter(traceExporterConfig(env)),
    // Without OTEL_TRACES_SAMPLER: follow the caller's decision, and start a trace for 10% of
    // the rest; recording every request costs more than the service's own work on fast routes.
    ...(!env.OTEL_TRACES_SAMPLER && { sampler: defaultSampler() }),
    instrumentations: [fastifyInstrumentation()],
  })
  sdk.start()
  return true
}

/**
 * Where and with which headers traces go, from `env` rather than `process.env` (which the
 * exporter would read): `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as is, else
 * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`; `OTEL_EXPORTER_OTLP_HEADERS` overridden by
 * `OTEL_EXPORTER_OTLP_TRACES_HEADERS` (`key=value,…`, values percent-encoded), as the OTLP spec says.
 */
export function traceExporterConfig(env: Env): { url?: string; headers?: Record<string, string> } {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT
  const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (base && `${base.replace(/\/*$/, '/')}v1/traces`)
  const headers = {
    ...parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS),
    ...parseHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
  }
  return { ...(url && { url }), ...(Object.keys(headers).length > 0 && { headers }) }
}

function parseHeaders(list: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const pair of list?.split(',') ?? []) {
    const eq = pair.indexOf('=')
    const key = pair.slice(0, eq).trim()
    if (eq > 0 && key !== '') headers[key] = percentDecoded(pair.slice(eq + 1).trim())
  }
  return headers
}

// A stray `%` must not stop the service from starting; the value is then sent as written.
function percentDecoded(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** Parent-based: a caller's sampled flag wins; new traces are started for `ratio` of requests. */
export function defaultSampler(ratio = DEFAULT_SAMPLE_RATIO): tracing.Sampler {
  return new tracing.ParentBasedSampler({ root: new tracing.TraceIdRatioBasedSampler(ratio) })
}

/**
 * `@fastify/otel`, attached to every Fastify instance created after it is enabled, with one span
 * per request (route, method, status). Per-hook and handler child spans cost a span, ids and a
 * `context.with` on every hook of every request, sampled or not, and tell nothing the request
 * span does not; the CloudEvent receiver adds its own `process <type>` span.
 */
export function fastifyInstrumentation(): FastifyOtelInstrumentation {
  return new FastifyOtelInstrumentation({
    registerOnInitialization: true,
    instrumentHooks: false,
    instrumentHandler: false,
  })
}

/** Flushes and stops the SDK (after the server closed, so the last spans are exported). */
export async function stopTelemetry(): Promise<void> {
  const running = sdk
  sdk = undefined
  await running?.shutdown()
}

// W3C Trace Context: version-traceid-parentid-flags.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/

/**
 * The context whose remote parent span is named by a CloudEvent's `traceparent` extension.
 * Parsed directly (the CloudEvents tracing extension is always W3C), so it works whatever
 * propagator is registered; undefined when absent or malformed.
 */
export function contextFromTraceparent(traceparent: unknown, tracestate?: unknown): Context | undefined {
  if (typeof traceparent !== 'string') return undefined
  const match = TRACEPARENT.exec(traceparent)
  if (!match) return undefined
  const [, version, traceId = '', spanId = '', flags = '00', rest] = match
  // Version 00 has exactly four fields; ff is forbidden; all-zero ids are invalid.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
    ...(typeof tracestate === 'string' && tracestate !== '' && { traceState: createTraceState(tracestate) }),
  })
}
