import {
  type AnyCloudEvent,
  type CatalogEvent,
  type EventType,
  parseHttpEvent,
  toBinaryHttp,
  traceExtensionsFrom,
  validateEventData,
} from '@agent-sre/events'
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { CloudEvent } from 'cloudevents'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  DependencyUnavailableError,
  InternalError,
  InvalidCloudEventError,
  InvalidEventDataError,
  UnknownEventTypeError,
} from './Errors.ts'
import type { KitCache } from './KitCache.ts'
import { contextFromTraceparent } from './Telemetry.ts'

export interface CloudEventContext {
  /** The event's `correlationid` (or the request's, when the producer set none). */
  correlationId: string
  /** W3C traceparent of the handler span (or the event's, when tracing is off): pass it on. */
  traceparent: string | undefined
  log: FastifyBaseLogger
  /** Aborted when the broker gives up on this delivery (connection closed). */
  signal: AbortSignal
}

/**
 * Returns nothing (→ 202, empty body) or a reply event (→ 200, binary mode). A 2xx with any other
 * body would be a delivery failure for the broker, so the type allows nothing else.
 */
export type CloudEventHandler<T extends EventType> = (
  event: CatalogEvent<T>,
  ctx: CloudEventContext,
) => Promise<AnyCloudEvent | undefined>

export type CloudEventHandlers = { readonly [T in EventType]?: CloudEventHandler<T> }

export interface CloudEventReceiverOptions {
  handlers: CloudEventHandlers
  cache: Pick<KitCache, 'setIfAbsent' | 'delete'>
  dedupTtlMs: number
  bodyLimit: number
  /** Added to the dedup key, so services sharing one Redis do not swallow each other's events. */
  service: string
}

const tracer = trace.getTracer('@agent-sre/service-kit')

/** `POST /`: where the broker delivers events (Knative data-plane contract). */
export async function cloudEventReceiver(
  app: FastifyInstance,
  options: CloudEventReceiverOptions,
): Promise<void> {
  const { handlers, cache, dedupTtlMs, service } = options
  // The strict parser wants the raw bytes in both modes: take every body as a Buffer here.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))

  app.post('/', { bodyLimit: options.bodyLimit }, async (request, reply) => {
    const event = receive(request)
    const handler = handlers[event.type as EventType] as CloudEventHandler<EventType> | undefined
    if (!handler) throw new UnknownEventTypeError(event.type)
    const validation = validateEventData(event)
    if (validation.result === 'invalid') {
      throw new InvalidEventDataError(
        event.type,
        validation.errors.map((e) => `${e.path} ${e.message}`).join('; '),
      )
    }

    const dedupKey = `cloudevent:${service}:${event.source}:${event.id}`
    if (!(await claim(cache, dedupKey, dedupTtlMs))) {
      request.log.info({ eventId: event.id, source: event.source }, 'duplicate CloudEvent ignored')
      return reply.code(202).send()
    }

    let result: unknown
    try {
      result = await runHandler(handler, event as CatalogEvent<EventType>, request, reply)
    } catch (err) {
      // Let the broker's retry run the handler again.
      await cache
        .delete(dedupKey)
        .catch((e: unknown) => request.log.warn({ err: e }, 'dedup key not released'))
      throw err
    }
    if (result === undefined) return reply.code(202).send()
    if (!(result instanceof CloudEvent)) {
      request.log.error({ type: typeof result }, 'CloudEvent handler returned something other than an event')
      throw new InternalError()
    }
    const replyEvent = withChainAttributes(result, event)
    const { headers, body } = toBinaryHttp(replyEvent)
    return reply.code(200).headers(headers).send(body)
  })
}

function receive(request: FastifyRequest): CatalogEvent<EventType> {
  let event: AnyCloudEvent
  try {
    event = parseHttpEvent(request.headers, request.body as Buffer | undefined)
  } catch (err) {
    throw new InvalidCloudEventError((err as { reason?: string }).reason ?? (err as Error).message)
  }
  if (typeof event.correlationid === 'string' && event.correlationid !== '') {
    if (event.correlationid !== request.correlationId) {
      request.correlationId = event.correlationid
      request.log = request.log.child({ correlationId: event.correlationid })
      request.log.debug('correlation id taken from the event')
    }
    return event as CatalogEvent<EventType>
  }
  // Handlers rely on a correlation id: a producer that set none starts a chain here.
  return event.cloneWith({ correlationid: request.correlationId }, false) as CatalogEvent<EventType>
}

async function claim(cache: Pick<KitCache, 'setIfAbsent'>, key: string, ttlMs: number): Promise<boolean> {
  try {
    return await cache.setIfAbsent(key, '1', ttlMs)
  } catch {
    // Without dedup a retried event could run twice: refuse now, the broker retries later.
    throw new DependencyUnavailableError('cache')
  }
}

/** Runs the handler in a span whose parent is the event's traceparent (else the HTTP span). */
async function runHandler(
  handler: CloudEventHandler<EventType>,
  event: CatalogEvent<EventType>,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<unknown> {
  const requestContext = context.active()
  const parent = contextFromTraceparent(event.traceparent, event.tracestate) ?? requestContext
  const requestSpan = trace.getSpanContext(requestContext)
  const span = tracer.startSpan(
    `process ${event.type}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'cloudevents.event_id': event.id,
        'cloudevents.event_source': event.source,
        'cloudevents.event_type': event.type,
        ...(event.subject !== undefined && { 'cloudevents.event_subject': event.subject }),
      },
      ...(parent !== requestContext && requestSpan && { links: [{ context: requestSpan }] }),
    },
    parent,
  )
  const spanContext = trace.setSpan(parent, span)
  const abort = new AbortController()
  const onClose = () => {
    if (!reply.raw.writableFinished) abort.abort(new Error('connection closed before the reply'))
  }
  reply.raw.once('close', onClose)
  try {
    return await context.with(spanContext, () =>
      handler(event, {
        correlationId: event.correlationid,
        traceparent: traceExtensionsFrom(spanContext).traceparent ?? event.traceparent,
        log: request.log,
        signal: abort.signal,
      }),
    )
  } catch (err) {
    span.recordException(err as Error)
    span.setStatus({ code: SpanStatusCode.ERROR })
    throw err
  } finally {
    span.end()
    reply.raw.off('close', onClose)
  }
}

/** A reply continues the chain: same correlation id; trace context of the handler if unset. */
function withChainAttributes(replyEvent: AnyCloudEvent, received: CatalogEvent<EventType>): AnyCloudEvent {
  const missing: Record<string, string> = {}
  if (replyEvent.correlationid === undefined) missing.correlationid = received.correlationid
  if (replyEvent.traceparent === undefined && received.traceparent !== undefined) {
    missing.traceparent = received.traceparent
  }
  return Object.keys(missing).length === 0 ? replyEvent : replyEvent.cloneWith(missing, false)
}
