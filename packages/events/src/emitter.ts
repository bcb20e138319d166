import {
  HttpStatusError,
  type PolicyOptions,
  parseRetryAfter,
  policyFor,
  type ResiliencePolicy,
} from '@agent-sre/resilience'
import { type Dispatcher, Pool } from 'undici'
import type { AnyCloudEvent } from './attributes.ts'
import { toBinaryHttp } from './http.ts'

/** The part of a pino logger the emitter uses. */
export interface EmitterLogger {
  debug(fields: object, message?: string): void
  info(fields: object, message?: string): void
  warn(fields: object, message?: string): void
}

/**
 * An event already in its binary-mode HTTP form (`toBinaryHttp`'s output: `ce-*` headers,
 * content-type, data as the body), e.g. as an outbox stored it. Posted byte for byte.
 */
export interface EncodedEvent {
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer | string
}

export interface EmitterOptions {
  /** K_SINK (SinkBinding) or the broker ingress URL; credentials in it are sent as basic auth. */
  sinkUrl: string | URL
  /**
   * Retry/timeout/breaker around each emit. Default: policyFor('event-sink') with the resilience
   * defaults (3 attempts, 10 s timeout per attempt, consecutive breaker, bulkhead 16 + 64 queued).
   * `false`: one attempt per emit, for a caller that runs its own policy around many emits.
   */
  policy?: ResiliencePolicy | false
  /** Where the default policy registers its metrics; default prom-client's global registry. */
  registry?: PolicyOptions['registry']
  /** Keep-alive connections to the sink at most; further emits wait for one. Default 16. */
  connections?: number
  logger?: EmitterLogger
}

export interface Emitter {
  /** The sink's origin and path: no credentials or query, so it can be logged. */
  readonly sinkUrl: string
  /**
   * POSTs the event in binary mode. Resolves once the sink answered 2xx; rejects with the last
   * error (HttpStatusError for a non-2xx status, with Retry-After and a bounded body) after the
   * policy gave up, or once `signal` aborts. Network errors, timeouts, 408, 429 and 5xx are
   * retried; other 4xx are not (the event itself is refused).
   */
  emit(event: AnyCloudEvent, signal?: AbortSignal): Promise<void>
  /** As `emit`, for an event already encoded (its headers and body are sent as they are). */
  emitEncoded(event: EncodedEvent, signal?: AbortSignal): Promise<void>
  /** Closes the kept-alive connections once the emits in flight are answered; no emit after it. */
  close(): Promise<void>
}

export const EMITTER_DEFAULTS = Object.freeze({ connections: 16 })

/** Enough of an error body to diagnose with (what resilience's throwForStatus keeps). */
const MAX_ERROR_BODY_CHARS = 4096

/**
 * The one way events leave a service over HTTP. It runs once per event (a Knative broker ingress
 * takes one event per POST), so it is an undici Pool (keep-alive connections, the URL parsed
 * once) and its plain `request`: the global fetch's WHATWG Request/Response/streams cost more CPU
 * per call than the small POST itself, and node:http's client ~60 µs per POST against undici's
 * ~36 µs (measured in docs/benchmarks.md, alert-intake).
 */
export function createEmitter(options: EmitterOptions): Emitter {
  const sink = parseSinkUrl(options.sinkUrl)
  // Credentials in a sink URL must not reach the logs (nor anyone reading `sinkUrl`).
  const sinkForLogs = `${sink.origin}${sink.pathname}`
  const logger = options.logger
  const policy =
    options.policy === false
      ? undefined
      : (options.policy ??
        policyFor('event-sink', undefined, {
          ...(logger ? { logger } : {}),
          ...(options.registry ? { registry: options.registry } : {}),
        }))
  const post = poster(sink, options.connections ?? EMITTER_DEFAULTS.connections)

  const send = async (message: EncodedEvent, signal: AbortSignal | undefined) => {
    let attempts = 1
    try {
      if (policy === undefined) await post(message, signal)
      else
        await policy.execute((attempt) => {
          attempts = attempt.attempt
          return post(message, attempt.signal)
        }, signal)
    } catch (err) {
      logger?.warn({ ...fieldsOf(message), attempts, err: summarize(err) }, 'event not delivered')
      throw err
    }
    logger?.debug({ ...fieldsOf(message), attempts }, 'event delivered')
  }
  const fieldsOf = (message: EncodedEvent) => ({
    sink: sinkForLogs,
    type: message.headers['ce-type'],
    id: message.headers['ce-id'],
  })

  return {
    sinkUrl: sinkForLogs,
    emit: (event, signal) => send(toBinaryHttp(event), signal),
    emitEncoded: (event, signal) => send(event, signal),
    close: () => post.close(),
  }
}

// URL's own TypeError carries the whole input (`input`), which a startup crash prints: credentials too.
function parseSinkUrl(url: string | URL): URL {
  if (url instanceof URL) return new URL(url.href)
  try {
    return new URL(url)
  } catch {
    throw new TypeError('sink URL (K_SINK or BROKER_URL) is not a valid URL')
  }
}

type Post = ((message: EncodedEvent, signal: AbortSignal | undefined) => Promise<void>) & {
  close(): Promise<void>
}

/** One POST, one attempt: resolves on 2xx, rejects with HttpStatusError or the connection's error. */
function poster(url: URL, connections: number): Post {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`sink URL must be http(s), got ${url.protocol}`)
  }
  const pool = new Pool(url.origin, { connections })
  const path = `${url.pathname}${url.search}`
  // undici sends no userinfo: credentials of the URL become a Basic header on every request.
  const authorization =
    url.username || url.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
      : undefined
  const post = async (message: EncodedEvent, signal: AbortSignal | undefined) => {
    const response = await pool.request({
      method: 'POST',
      path,
      headers: authorization ? { ...message.headers, authorization } : message.headers,
      body: message.body,
      ...(signal && { signal }),
    })
    const status = response.statusCode
    if (status >= 200 && status < 300) {
      // Read to the end, so the connection is reused; a broker answers 202 with nothing to read.
      await response.body.dump()
      return
    }
    const retryAfter = response.headers['retry-after']
    const retryAfterMs = parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter)
    const body = await errorBody(response.body)
    throw new HttpStatusError(status, {
      ...(body === undefined ? {} : { body }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    })
  }
  return Object.assign(post, { close: () => pool.close() })
}

/**
 * The first MAX_ERROR_BODY_CHARS of an error answer, decoded across chunk boundaries. A body that
 * breaks off (reset, abort) gives undefined: it must not hide the status, which decides whether the
 * event is retried (as resilience's throwForStatus).
 */
async function errorBody(body: Dispatcher.ResponseData['body']): Promise<string | undefined> {
  const decoder = new TextDecoder()
  let text = ''
  try {
    for await (const chunk of body) {
      text += decoder.decode(chunk as Buffer, { stream: true })
      if (text.length >= MAX_ERROR_BODY_CHARS) break // the rest is dropped with the connection
    }
  } catch {
    return undefined
  }
  return text.slice(0, MAX_ERROR_BODY_CHARS)
}

// Name, status and code only: messages and bodies can echo event data.
function summarize(err: unknown): object {
  if (typeof err !== 'object' || err === null) return { message: String(err) }
  const { name, status, code, cause } = err as {
    name?: unknown
    status?: unknown
    code?: unknown
    cause?: unknown
  }
  const causeCode =
    typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined
  return { name, status, code: code ?? causeCode }
}
