import { Registry } from 'prom-client'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type AttemptContext, isTimeoutError, isTransient, policyFor } from '../src/index.ts'
import { metricValue, settle } from './helpers.ts'

/** Behaves like fetch: never settles on its own, rejects with the signal's reason when aborted. */
const hangUntilAborted = ({ signal }: AttemptContext): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))

describe('policyFor: timeout', () => {
  let registry: Registry
  beforeEach(() => {
    vi.useFakeTimers()
    registry = new Registry()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('leaves the attempt signal alone when the attempt returns (it aborts at the deadline only)', async () => {
    const policy = policyFor('dep', { timeoutMs: 500, retry: false, breaker: false }, { registry })
    let seen: AbortSignal | undefined
    await policy.execute(async ({ signal }) => {
      seen = signal
      return 'done'
    })
    expect(seen?.aborted).toBe(false)
    // Nor later: the deadline's timer was cleared with the attempt.
    await vi.advanceTimersByTimeAsync(1_000)
    expect(seen?.aborted).toBe(false)
  })

  it('aborts the attempt signal at the deadline and fails with a transient TimeoutError', async () => {
    const policy = policyFor(
      'dep',
      { timeoutMs: 500, retry: false, breaker: false, bulkhead: false },
      { registry },
    )
    const signals: AbortSignal[] = []
    const outcome = settle(
      policy.execute((context) => {
        signals.push(context.signal)
        return hangUntilAborted(context)
      }),
    )
    await vi.advanceTimersByTimeAsync(499)
    expect(signals[0]?.aborted).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(signals[0]?.aborted).toBe(true)

    const result = await outcome
    if (!('error' in result)) throw new Error('expected a timeout')
    expect(isTimeoutError(result.error)).toBe(true)
    expect(isTransient(result.error)).toBe(true)
    expect(result.error).toMatchObject({ policy: 'dep', timeoutMs: 500, cause: { name: 'AbortError' } })
    expect(
      await metricValue(registry, 'agentsre_resilience_calls_total', { policy: 'dep', outcome: 'timeout' }),
    ).toBe(1)
  })

  it('times out each attempt separately and retries a timeout', async () => {
    const policy = policyFor(
      'dep',
      {
        timeoutMs: 500,
        retry: { maxAttempts: 2, initialDelayMs: 100, jitter: 0 },
        breaker: false,
        bulkhead: false,
      },
      { registry },
    )
    const outcome = settle(
      policy.execute(async (context) =>
        context.attempt === 1 ? hangUntilAborted(context) : 'second attempt in time',
      ),
    )
    await vi.runAllTimersAsync()
    expect(await outcome).toEqual({ value: 'second attempt in time' })
    expect(await metricValue(registry, 'agentsre_resilience_retries_total', { policy: 'dep' })).toBe(1)
  })

  it('counts timeouts towards opening the breaker', async () => {
    const policy = policyFor(
      'dep',
      { timeoutMs: 100, retry: false, breaker: { threshold: 1, halfOpenAfterMs: 1000 }, bulkhead: false },
      { registry },
    )
    const outcome = settle(policy.execute(hangUntilAborted))
    await vi.advanceTimersByTimeAsync(100)
    await outcome
    expect(policy.breakerState).toBe('open')
    policy.dispose()
  })

  it('a caller abort is a cancellation, not a timeout', async () => {
    const policy = policyFor(
      'dep',
      { timeoutMs: 500, retry: { maxAttempts: 3 }, breaker: false, bulkhead: false },
      { registry },
    )
    const caller = new AbortController()
    let attempts = 0
    const outcome = settle(
      policy.execute((context) => {
        attempts++
        return hangUntilAborted(context)
      }, caller.signal),
    )
    await vi.advanceTimersByTimeAsync(100)
    caller.abort()
    await vi.runAllTimersAsync()
    const result = await outcome
    if (!('error' in result)) throw new Error('expected a cancellation')
    expect(isTimeoutError(result.error)).toBe(false)
    expect(result.error).toMatchObject({ name: 'AbortError' })
    expect(attempts).toBe(1)
    expect(
      await metricValue(registry, 'agentsre_resilience_calls_total', { policy: 'dep', outcome: 'failure' }),
    ).toBe(1)
  })

  it('cooperative: a function that finishes despite the abort keeps its result', async () => {
    const policy = policyFor(
      'dep',
      { timeoutMs: 100, retry: false, breaker: false, bulkhead: false },
      { registry },
    )
    const outcome = settle(
      policy.execute(
        () => new Promise<string>((resolve) => setTimeout(() => resolve('late but complete'), 300)),
      ),
    )
    await vi.runAllTimersAsync()
    expect(await outcome).toEqual({ value: 'late but complete' })
  })
})
