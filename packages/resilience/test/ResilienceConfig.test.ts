import { describe, expect, it } from 'vitest'
import {
  DEFAULT_BULKHEAD,
  DEFAULT_CONSECUTIVE_BREAKER,
  DEFAULT_RETRY,
  DEFAULT_SAMPLING_BREAKER,
  resolveConfig,
} from '../src/index.ts'

describe('resolveConfig', () => {
  it('fills every value with its default', () => {
    expect(resolveConfig('p')).toEqual({
      timeoutMs: 10_000,
      retry: { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 10_000, exponent: 2, jitter: 0.5 },
      breaker: { kind: 'consecutive', threshold: 5, halfOpenAfterMs: 30_000 },
      bulkhead: { limit: 16, queue: 64 },
    })
  })

  it('merges partial sections over the defaults', () => {
    const config = resolveConfig('p', { retry: { maxAttempts: 5 }, bulkhead: { queue: 0 } })
    expect(config.retry).toEqual({ ...DEFAULT_RETRY, maxAttempts: 5 })
    expect(config.bulkhead).toEqual({ ...DEFAULT_BULKHEAD, queue: 0 })
    expect(config.breaker).toEqual(DEFAULT_CONSECUTIVE_BREAKER)
  })

  it('uses the sampling defaults when the sampling breaker is chosen', () => {
    expect(resolveConfig('p', { breaker: { kind: 'sampling', threshold: 0.2 } }).breaker).toEqual({
      ...DEFAULT_SAMPLING_BREAKER,
      threshold: 0.2,
    })
  })

  it('disables parts given false', () => {
    expect(resolveConfig('p', { timeoutMs: false, retry: false, breaker: false, bulkhead: false })).toEqual({
      timeoutMs: false,
      retry: false,
      breaker: false,
      bulkhead: false,
    })
  })

  it.each([
    [{ timeoutMs: 0 }, 'timeoutMs must be an integer >= 1, got 0'],
    [{ retry: { maxAttempts: 0 } }, 'retry.maxAttempts must be an integer >= 1, got 0'],
    [
      { retry: { initialDelayMs: 500, maxDelayMs: 100 } },
      'retry.maxDelayMs must be an integer >= 500, got 100',
    ],
    [{ retry: { jitter: 1.5 } }, 'retry.jitter must be between 0 and 1, got 1.5'],
    [{ retry: { exponent: Number.NaN } }, 'retry.exponent must be >= 1, got NaN'],
    [{ breaker: { threshold: 2.5 } }, 'breaker.threshold must be an integer >= 1, got 2.5'],
    [{ breaker: { kind: 'sampling', threshold: 1 } }, 'breaker.threshold must be in (0, 1), got 1'],
    [{ breaker: { kind: 'sampling', minimumRps: 0 } }, 'breaker.minimumRps must be > 0, got 0'],
    [{ bulkhead: { limit: 0 } }, 'bulkhead.limit must be an integer >= 1, got 0'],
  ] as const)('rejects %j with a reason naming the policy', (input, reason) => {
    expect(() => resolveConfig('billing', input)).toThrow(
      new RangeError(`resilience policy "billing": ${reason}`),
    )
  })
})
