import { BrokenCircuitError, BulkheadRejectedError, TaskCancelledError } from 'cockatiel'
import { describe, expect, it } from 'vitest'
import { HttpStatusError, isNetworkError, isTransient, TimeoutError } from '../src/index.ts'

const withCode = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code })

describe('isTransient', () => {
  it.each([408, 429, 500, 502, 503, 504, 599])('HTTP %i is transient', (status) => {
    expect(isTransient(new HttpStatusError(status))).toBe(true)
  })

  it.each([400, 401, 403, 404, 409, 410, 422])('HTTP %i is permanent', (status) => {
    expect(isTransient(new HttpStatusError(status))).toBe(false)
  })

  it('treats socket and DNS errors as transient, directly or as fetch failed causes', () => {
    expect(isTransient(withCode('ECONNREFUSED'))).toBe(true)
    expect(isTransient(withCode('EAI_AGAIN'))).toBe(true)
    expect(isTransient(new TypeError('fetch failed', { cause: withCode('ECONNRESET') }))).toBe(true)
    expect(isTransient(new TypeError('fetch failed', { cause: withCode('UND_ERR_SOCKET') }))).toBe(true)
  })

  it('treats timeouts as transient: ours and AbortSignal.timeout()', () => {
    expect(isTransient(new TimeoutError('p', 100))).toBe(true)
    expect(isTransient(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe(
      true,
    )
  })

  it('treats an open breaker and a full bulkhead as transient for callers', () => {
    expect(isTransient(new BrokenCircuitError())).toBe(true)
    expect(isTransient(new BulkheadRejectedError(1, 0))).toBe(true)
  })

  it('treats caller cancellation, programming errors and non-errors as permanent', () => {
    expect(isTransient(new DOMException('This operation was aborted', 'AbortError'))).toBe(false)
    expect(isTransient(new TaskCancelledError())).toBe(false)
    expect(isTransient(new TypeError('x is not a function'))).toBe(false)
    expect(isTransient(withCode('ERR_INVALID_ARG_TYPE'))).toBe(false)
    expect(isTransient('boom')).toBe(false)
    expect(isTransient(undefined)).toBe(false)
  })

  it('does not loop on a self-referencing cause chain', () => {
    const error = new Error('loop')
    ;(error as { cause?: unknown }).cause = error
    expect(isNetworkError(error)).toBe(false)
  })
})
