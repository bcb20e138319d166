import type { IBackoff, IRetryBackoffContext } from 'cockatiel'
import { describe, expect, it } from 'vitest'
import { backoffFor } from '../src/Backoff.ts'
import { HttpStatusError, type RetryConfig } from '../src/index.ts'
import { sequence } from './helpers.ts'

const config: RetryConfig = {
  maxAttempts: 10,
  initialDelayMs: 100,
  maxDelayMs: 1000,
  exponent: 2,
  jitter: 0.5,
}

function delays(retryConfig: RetryConfig, random: () => number, errors: Error[]): number[] {
  const factory = backoffFor(retryConfig, random)
  const signal = new AbortController().signal
  const context = (attempt: number, error: Error): IRetryBackoffContext<unknown> => ({
    attempt,
    signal,
    result: { error },
  })
  const result: number[] = []
  let step: IBackoff<IRetryBackoffContext<unknown>> | undefined
  errors.forEach((error, index) => {
    step = step ? step.next(context(index + 1, error)) : factory.next(context(index + 1, error))
    result.push(step.duration)
  })
  return result
}

const failures = (count: number) => Array.from({ length: count }, () => new HttpStatusError(503))

describe('backoffFor', () => {
  it('pins the jittered exponential sequence', () => {
    // bases 100, 200, 400, 800, 1000 (capped); each × (1 − 0.5 × random)
    expect(delays(config, sequence(0, 0.5, 1, 0.25, 0), failures(5))).toEqual([100, 150, 200, 700, 1000])
  })

  it('never exceeds maxDelayMs, however many retries', () => {
    const noJitter = { ...config, jitter: 0 }
    expect(delays(noJitter, () => 0.5, failures(8))).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000])
  })

  it('full jitter draws from (0, base]', () => {
    expect(delays({ ...config, jitter: 1 }, sequence(0.999, 0.5, 0), failures(3))).toEqual([0, 100, 400])
  })

  it('uses the configured exponent', () => {
    expect(delays({ ...config, jitter: 0, exponent: 3, maxDelayMs: 10_000 }, () => 0, failures(4))).toEqual([
      100, 300, 900, 2700,
    ])
  })

  it('waits at least the Retry-After carried by the failure, and keeps the exponential pace after it', () => {
    const errors = [
      new HttpStatusError(429, { retryAfterMs: 750 }),
      new HttpStatusError(503),
      new HttpStatusError(429, { retryAfterMs: 50 }),
    ]
    expect(delays({ ...config, jitter: 0 }, () => 0, errors)).toEqual([750, 200, 400])
  })
})
