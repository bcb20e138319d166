import { type Context, isSpanContextValid, context as otelContext, trace } from '@opentelemetry/api'

export interface TraceExtensions {
  traceparent?: string
  tracestate?: string
}

/**
 * The CloudEvents distributed-tracing extensions for the span in `ctx` (default: the active
 * context). Built from the span context directly, so it is W3C Trace Context whatever propagator
 * the host registered; empty when there is no valid span.
 */
export function traceExtensionsFrom(ctx: Context = otelContext.active()): TraceExtensions {
  const span = trace.getSpanContext(ctx)
  if (span === undefined || !isSpanContextValid(span)) return {}
  const flags = (span.traceFlags & 0xff).toString(16).padStart(2, '0')
  const traceparent = `00-${span.traceId}-${span.spanId}-${flags}`
  const tracestate = span.traceState?.serialize()
  return tracestate ? { traceparent, tracestate } : { traceparent }
}
