import { type PolicyOptions, policyFor, type ResiliencePolicy, throwForStatus } from '@agent-sre/resilience'
import type { AnyCloudEvent } from './attributes.ts'
import { toBinaryHttp } from './http.ts'

/** The part of a pino logger the emitter uses. */
export interface EmitterLogger {
  debug(fields: object, message?: string): void
  info(fields: object, message?: string): void
  warn(fields: object, message?: string): void
}

export interface EmitterOptions {
  /** K_SINK (SinkBinding) or the broker ingress URL. */
  sinkUrl: string | URL
  /**
   * Retry/timeout/breaker around each POST. Default: policyFor('event-sink') with the resilience
   * defaults (3 attempts, 10 s timeout per attempt, consecutive breaker, bulkhead 16 + 64 queued).
   */
  policy?: ResiliencePolicy
  /** Where the default policy registers its metrics; default prom-client's global registry. */
  registry?: PolicyOptions['registry']
  /** Default: the global fetch. */
  fetch?: typeof fetch
  logger?: EmitterLogger
}

export interface Emitter {
  readonly sinkUrl: string
  /**
   * POSTs the event in binary mode. Resolves once the sink answered 2xx; rejects with the last
   * error (HttpStatusError for a non-2xx status) after the policy gave up. Network errors, 408, 429
   * and 5xx are retried; other 4xx are not (the event itself is refused).
   */
  emit(event: AnyCloudEvent, signal?: AbortSignal): Promise<void>
}

export function createEmitter(options: EmitterOptions): Emitter {
  const sink = new URL(options.sinkUrl)
  const sinkUrl = sink.toString()
  // Credentials in a sink URL must not reach the logs.
  const sinkForLogs = `${sink.origin}${sink.pathname}`
  const doFetch = options.fetch ?? fetch
  const logger = options.logger
  const policy =
    options.policy ??
    policyFor('event-sink', undefined, {
      ...(logger ? { logger } : {}),
      ...(options.registry ? { registry: options.registry } : {}),
    })

  return {
    sinkUrl,
    async emit(event, signal) {
      const { headers, body } = toBinaryHttp(event)
      const fields = { sink: sinkForLogs, type: event.type, id: event.id }
      let attempts = 0
      try {
        await policy.execute(async (attempt) => {
          attempts = attempt.attempt
          const response = await doFetch(sinkUrl, { method: 'POST', headers, body, signal: attempt.signal })
          await throwForStatus(response)
          // Release the connection; a broker answers 202 with nothing worth reading.
          await response.body?.cancel()
        }, signal)
      } catch (err) {
        logger?.warn({ ...fields, attempts, err: summarize(err) }, 'event not delivered')
        throw err
      }
      logger?.debug({ ...fields, attempts }, 'event delivered')
    },
  }
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
