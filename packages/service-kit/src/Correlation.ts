import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

export const CORRELATION_HEADER = 'x-correlation-id'
export const REQUEST_ID_HEADER = 'x-request-id'

// Ids travel into logs, headers and events: accept only short, plain tokens from callers.
const SAFE_ID = /^[\w.:@/+=-]{1,128}$/

export function isSafeId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_ID.test(value)
}

/** The caller's `X-Request-ID` when it is a safe token, else a fresh UUID. */
export function requestIdFor(headers: IncomingHttpHeaders): string {
  const header = headers[REQUEST_ID_HEADER]
  return isSafeId(header) ? header : randomUUID()
}

/**
 * The correlation id of an inbound request: a binary-mode CloudEvent's `ce-correlationid`, else
 * `X-Correlation-ID`, else the request id (a new flow starts here).
 */
export function correlationIdFor(headers: IncomingHttpHeaders, requestId: string): string {
  const fromEvent = headers['ce-correlationid']
  if (isSafeId(fromEvent)) return fromEvent
  const header = headers[CORRELATION_HEADER]
  return isSafeId(header) ? header : requestId
}
