/** An attempt overran the policy's `timeoutMs` (its AbortSignal was aborted by the deadline). */
export class TimeoutError extends Error {
  readonly isResilienceTimeoutError = true
  readonly policy: string
  readonly timeoutMs: number

  constructor(policy: string, timeoutMs: number, options?: ErrorOptions) {
    super(`resilience policy "${policy}": attempt timed out after ${timeoutMs} ms`, options)
    this.name = 'TimeoutError'
    this.policy = policy
    this.timeoutMs = timeoutMs
  }
}

export const isTimeoutError = (error: unknown): error is TimeoutError =>
  typeof error === 'object' &&
  error !== null &&
  (error as { isResilienceTimeoutError?: unknown }).isResilienceTimeoutError === true
