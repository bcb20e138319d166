import { Agent as HttpAgent, request as httpRequest, type RequestOptions } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import {
  HttpStatusError,
  type PolicyOptions,
  parseRetryAfter,
  policyFor,
  type ResiliencePolicy,
} from '@agent-sre/resilience'
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
  maxSockets?: number
  logger?: EmitterLogger
}

export interface Emitter {
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
  /** Closes the kept-alive connections. Emits afterwards open new ones. */
  close(): void
}

export const EMITTER_DEFAULTS = Object.freeze({ maxSockets: 16 })

/** Enough of an error body to diagnose with (what resilience's throwForStatus keeps). */
const MAX_ERROR_BODY_CHARS = 4096

/**
 * The one way events leave a service over HTTP. It runs once per event (a Knative broker ingress
 * takes one event per POST), so it is node:http over keep-alive connections with the URL parsed
 * once: the global fetch's WHATWG Request/Response/streams cost more CPU per call than the small
 * POST itself (measured in docs/benchmarks.md, alert-intake).
 */
export function createEmitter(options: EmitterOptions): Emitter {
  const sink = new URL(options.sinkUrl)
  const sinkUrl = sink.toString()
  // Credentials in a sink URL must not reach the logs.
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
  const post = poster(sink, options.maxSockets ?? EMITTER_DEFAULTS.maxSockets)

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
    sinkUrl,
    emit: (event, signal) => send(toBinaryHttp(event), signal),
    emitEncoded: (event, signal) => send(event, signal),
    close: () => post.agent.destroy(),
  }
}

type Post = ((message: EncodedEvent, signal: AbortSignal | undefined) => Promise<void>) & {
  agent: HttpAgent
}

/** One POST, one attempt: resolves on 2xx, rejects with HttpStatusError or the socket's error. */
function poster(url: URL, maxSockets: number): Post {
  const https = url.protocol === 'https:'
  if (!https && url.protocol !== 'http:') throw new TypeError(`sink URL must be http(s), got ${url.protocol}`)
  const request = https ? httpsRequest : httpRequest
  const agent = https
    ? new HttpsAgent({ keepAlive: true, maxSockets })
    : new HttpAgent({ keepAlive: true, maxSockets })
  const base: RequestOptions = {
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port,
    path: `${url.pathname}${url.search}`,
    method: 'POST',
    agent,
    ...(url.username || url.password
      ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` }
      : {}),
  }
  const post = (message: EncodedEvent, signal: AbortSignal | undefined) =>
    new Promise<void>((resolve, reject) => {
      const options = { ...base, headers: message.headers }
      if (signal) options.signal = signal
      const req = request(options, (response) => {
        const status = response.statusCode ?? 502
        response.once('error', reject)
        if (status >= 200 && status < 300) {
          // Drained, so the socket goes back to the pool; a broker answers 202 with nothing to read.
          response.resume()
          response.once('end', resolve)
          return
        }
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          if (text.length < MAX_ERROR_BODY_CHARS) text += chunk
        })
        response.once('end', () => {
          const retryAfterMs = parseRetryAfter(response.headers['retry-after'])
          reject(
            new HttpStatusError(status, {
              body: text.slice(0, MAX_ERROR_BODY_CHARS),
              ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
            }),
          )
        })
      })
      req.once('error', reject)
      req.end(message.body)
    })
  return Object.assign(post, { agent })
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
