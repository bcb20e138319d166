import { type AnyCloudEvent, isInvalidEventError, parseHttpEvent } from '@agent-sre/events'
import { type HttpResponse, type HttpSender, TransportError } from './adapters/HttpSender.ts'
import { TTL_EXTENSION, ttlForReply, ttlOnIngress } from './domain/BrokerTtl.ts'
import { type DeliveryFailure, deadLetterExtensions } from './domain/DeadLetter.ts'
import { backoffDelay, type DeliveryPolicy } from './domain/DeliveryPolicy.ts'
import { isRetriableStatus, isSuccessStatus } from './domain/RetryClassification.ts'
import { type Envelope, envelopeOf } from './Envelope.ts'
import type { BrokerLogger } from './Logger.ts'
import type { BrokerMetrics, DeliveryOutcome } from './Metrics.ts'
import type { Route } from './Route.ts'

/** Hands a reply back to the broker it came from; throws when the backend cannot take it. */
export type ReplyPublisher = (broker: string, envelope: Envelope) => Promise<void>

type Attempt =
  | { readonly kind: 'success'; readonly reply?: AnyCloudEvent }
  | { readonly kind: 'retriable' | 'failed'; readonly failure: DeliveryFailure }

export interface DispatcherOptions {
  readonly namespace: string
  readonly sender: HttpSender
  readonly publishReply: ReplyPublisher
  readonly metrics: BrokerMetrics
  readonly logger: BrokerLogger
  /** Aborted on close: waits and requests stop, the event stays undelivered (not committed). */
  readonly signal: AbortSignal
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    // A plain setTimeout so fake timers drive the backoff in tests.
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

function headerValue(headers: HttpResponse['headers'], name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/**
 * Delivers one event to one trigger's subscriber the way the Knative Kafka dispatcher does:
 * binary mode, retries with backoff, dead-letter sink, replies routed back into the broker.
 * Resolves with the outcome; rejects only when the broker is closing (the event then counts as
 * not delivered, so a Kafka backend does not commit it).
 */
export class Dispatcher {
  readonly #options: DispatcherOptions

  constructor(options: DispatcherOptions) {
    this.#options = options
  }

  async dispatch(route: Route, envelope: Envelope, ingestedAt: number): Promise<DeliveryOutcome> {
    const { metrics, logger } = this.#options
    const { event } = envelope
    const ttl = ttlOnIngress(event[TTL_EXTENSION])
    const headers = { ...envelope.headers, prefer: 'reply', 'kn-namespace': this.#options.namespace }

    const result = await this.#withRetries(route.delivery, route.subscriberUrl, async (attempt) => {
      let outcome = await this.#attempt(route.subscriberUrl, headers, envelope.body, route.delivery.timeoutMs)
      if (
        outcome.kind === 'success' &&
        outcome.reply &&
        !(await this.#routeReply(route, outcome.reply, ttl))
      ) {
        // The subscriber answered but its reply could not be stored: try the delivery again.
        outcome = { kind: 'retriable', failure: { destination: route.subscriberUrl } }
      }
      metrics.attempt(route.name, outcome.kind)
      if (outcome.kind !== 'success') {
        logger.warn(
          {
            trigger: route.name,
            eventId: event.id,
            attempt,
            status: outcome.failure.status,
            result: outcome.kind,
          },
          'delivery attempt failed',
        )
      }
      return outcome
    })

    let outcome: DeliveryOutcome = 'delivered'
    if (result.kind !== 'success') outcome = await this.#deadLetter(route, event, result.failure)
    metrics.outcome(route.name, outcome, (Date.now() - ingestedAt) / 1000)
    return outcome
  }

  async #withRetries(
    policy: DeliveryPolicy,
    destination: string,
    send: (attempt: number) => Promise<Attempt>,
  ): Promise<Attempt> {
    let last: Attempt = { kind: 'failed', failure: { destination } }
    for (let attempt = 0; attempt <= policy.retry; attempt++) {
      if (attempt > 0) await sleep(backoffDelay(policy, attempt), this.#options.signal)
      last = await send(attempt)
      if (last.kind !== 'retriable') return last
    }
    return last
  }

  async #attempt(
    url: string,
    headers: Record<string, string>,
    body: Buffer | string,
    timeoutMs: number,
  ): Promise<Attempt> {
    let response: HttpResponse
    try {
      response = await this.#options.sender.post(url, headers, body, timeoutMs, this.#options.signal)
    } catch (error) {
      if (error instanceof TransportError) return { kind: 'retriable', failure: { destination: url } }
      throw error
    }
    const failure = { status: response.status, destination: url, body: response.body }
    if (!isSuccessStatus(response.status)) {
      return { kind: isRetriableStatus(response.status) ? 'retriable' : 'failed', failure }
    }
    const looksLikeEvent =
      headerValue(response.headers, 'ce-specversion') !== undefined ||
      (headerValue(response.headers, 'content-type') ?? '').startsWith('application/cloudevents')
    if (!looksLikeEvent && response.body.byteLength === 0) return { kind: 'success' }
    try {
      return { kind: 'success', reply: parseHttpEvent(response.headers, response.body) }
    } catch (error) {
      // A 2xx with a body that is not a CloudEvent: Knative counts the delivery as failed.
      if (isInvalidEventError(error)) return { kind: 'failed', failure }
      throw error
    }
  }

  /** Sends a reply back into the trigger's broker, one hop fewer; false when it could not be stored. */
  async #routeReply(route: Route, reply: AnyCloudEvent, ttl: number): Promise<boolean> {
    const next = ttlForReply(ttl)
    if (next === undefined) {
      this.#options.metrics.dropped(route.name, 'reply_ttl_exhausted')
      this.#options.logger.warn(
        { trigger: route.name, replyId: reply.id, replyType: reply.type },
        'reply dropped: knativebrokerttl exhausted (event loop between triggers?)',
      )
      return true
    }
    try {
      await this.#options.publishReply(
        route.broker,
        envelopeOf(reply.cloneWith({ [TTL_EXTENSION]: next }, false)),
      )
      return true
    } catch (error) {
      if (this.#options.signal.aborted) throw error
      this.#options.logger.warn(
        { trigger: route.name, err: error },
        'reply could not be stored in the broker',
      )
      return false
    }
  }

  async #deadLetter(route: Route, event: AnyCloudEvent, failure: DeliveryFailure): Promise<DeliveryOutcome> {
    const { metrics, logger } = this.#options
    const sink = route.deadLetterUrl
    if (!sink) {
      metrics.dropped(route.name, 'no_dead_letter_sink')
      logger.error(
        { trigger: route.name, eventId: event.id, eventType: event.type, status: failure.status },
        'event dropped: delivery failed and the trigger has no dead-letter sink',
      )
      return 'dropped'
    }
    const message = envelopeOf(event.cloneWith(deadLetterExtensions(failure), false))
    const headers = { ...message.headers, 'kn-namespace': this.#options.namespace }
    const result = await this.#withRetries(route.delivery, sink, async () => {
      const attempt = await this.#attempt(sink, headers, message.body, route.delivery.timeoutMs)
      // Whatever the sink answers on 2xx (even a body) means it has the event.
      if (
        attempt.kind === 'failed' &&
        attempt.failure.status !== undefined &&
        isSuccessStatus(attempt.failure.status)
      ) {
        return { kind: 'success' } satisfies Attempt
      }
      return attempt
    })
    if (result.kind === 'success') {
      logger.warn({ trigger: route.name, eventId: event.id, status: failure.status }, 'event dead-lettered')
      return 'dead_lettered'
    }
    metrics.dropped(route.name, 'dead_letter_failed')
    logger.error(
      { trigger: route.name, eventId: event.id, eventType: event.type, status: result.failure.status },
      'event dropped: the dead-letter sink did not take it either',
    )
    return 'dropped'
  }
}
