import { isBrokenCircuitError, isBulkheadRejectedError } from 'cockatiel'
import { isHttpStatusError } from './HttpStatusError.ts'
import { isTimeoutError } from './TimeoutError.ts'

// Socket- and DNS-level failures (Node net/dns and undici) that a later attempt may not meet.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
])

/** Status codes worth trying again: request timeout, rate limited, server side failures. */
export const isTransientStatus = (status: number): boolean =>
  status === 408 || status === 429 || status >= 500

/**
 * The one classifier of failures. Transient: network errors, timeouts, 408, 429, 5xx, and the
 * policy's own rejections (open breaker, full bulkhead: the dependency may be back later).
 * Everything else — other 4xx, caller cancellation, programming errors — is permanent.
 */
export function isTransient(error: unknown): boolean {
  if (isHttpStatusError(error)) return isTransientStatus(error.status)
  if (isTimeoutError(error) || isRejection(error)) return true
  return isNetworkError(error)
}

/** The policy refused the call without running it (open breaker or full bulkhead). */
export const isRejection = (error: unknown): boolean =>
  isBrokenCircuitError(error) || isBulkheadRejectedError(error)

/** A socket/DNS failure, an undici `fetch failed`, or a platform TimeoutError (AbortSignal.timeout). */
export function isNetworkError(error: unknown): boolean {
  // Follow `cause` a few levels: fetch wraps the socket error as TypeError('fetch failed', { cause }).
  let current: unknown = error
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const { code, name, message } = current as { code?: unknown; name?: unknown; message?: unknown }
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true
    if (name === 'TimeoutError') return true
    if (current instanceof TypeError && message === 'fetch failed') return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}
