export interface HttpStatusErrorOptions {
  /** Delay the server asked for (from Retry-After), in milliseconds. */
  retryAfterMs?: number
  /** The response body, for diagnosis. Never put it in a log line unredacted. */
  body?: string
}

/** Thrown by HTTP callers on a non-2xx response so the policy can classify it by status. */
export class HttpStatusError extends Error {
  readonly isHttpStatusError = true
  readonly status: number
  readonly retryAfterMs: number | undefined
  readonly body: string | undefined

  constructor(status: number, options: HttpStatusErrorOptions = {}) {
    // The message carries the status only: bodies may echo request data and messages get logged.
    super(`HTTP ${status}`)
    this.name = 'HttpStatusError'
    this.status = status
    this.retryAfterMs = options.retryAfterMs
    this.body = options.body
  }
}

/** Brand check rather than instanceof, so it holds across duplicated module copies. */
export const isHttpStatusError = (error: unknown): error is HttpStatusError =>
  typeof error === 'object' &&
  error !== null &&
  (error as { isHttpStatusError?: unknown }).isHttpStatusError === true
