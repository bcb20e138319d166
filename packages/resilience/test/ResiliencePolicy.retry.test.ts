import { Registry } from 'prom-client'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { HttpStatusError, policyFor, type ResilienceConfigInput, throwForStatus } from '../src/index.ts'
import { metricValue, sequence, settle } from './helpers.ts'

const retryOnly = (retry: ResilienceConfigInput['retry']): ResilienceConfigInput => ({
  retry,
  timeoutMs: false,
  breaker: false,
  bulkhead: false,
})

const networkError = () =>
  new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  })

describe('policyFor: retry', () => {
  let registry: Registry
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2025-11-25T20:00:00Z') })
    registry = new Registry()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  /** Runs `fail` on every attempt until `succeedOn`, returning attempt start times relative to the call. */
  async function run(
    config: ResilienceConfigInput,
    fail: (attempt: number) => Promise<never>,
    succeedOn = Infinity,
    random = () => 0,
  ) {
    const policy = policyFor('dep', config, { registry, random })
    const started = Date.now()
    const times: number[] = []
    const outcome = settle(
      policy.execute(async ({ attempt }) => {
        times.push(Date.now() - started)
        return attempt >= succeedOn ? `ok on ${attempt}` : fail(attempt)
      }),
    )
    await vi.runAllTimersAsync()
    return { outcome: await outcome, times }
  }

  it('retries with the exact jittered backoff sequence and gives up after maxAttempts', async () => {
    const { outcome, times } = await run(
      retryOnly({ maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.5 }),
      () => Promise.reject(new HttpStatusError(503)),
      Infinity,
      sequence(0, 0.5, 1, 0.25),
    )
    // delays 100, 150, 200, 700
    expect(times).toEqual([0, 100, 250, 450, 1150])
    expect(outcome).toEqual({ error: new HttpStatusError(503) })
    expect(await metricValue(registry, 'agentsre_resilience_retries_total', { policy: 'dep' })).toBe(4)
    expect(
      await metricValue(registry, 'agentsre_resilience_calls_total', { policy: 'dep', outcome: 'failure' }),
    ).toBe(1)
  })

  it('caps every delay at maxDelayMs', async () => {
    const { times } = await run(
      retryOnly({ maxAttempts: 6, initialDelayMs: 400, maxDelayMs: 1000, jitter: 0 }),
      () => Promise.reject(new HttpStatusError(500)),
    )
    // delays 400, 800, 1000, 1000, 1000
    expect(times).toEqual([0, 400, 1200, 2200, 3200, 4200])
  })

  it('does not retry a 400', async () => {
    const { outcome, times } = await run(retryOnly({ maxAttempts: 3 }), () =>
      Promise.reject(new HttpStatusError(400)),
    )
    expect(times).toEqual([0])
    expect(outcome).toEqual({ error: new HttpStatusError(400) })
    expect(await metricValue(registry, 'agentsre_resilience_retries_total', { policy: 'dep' })).toBe(0)
  })

  it('does not retry an unknown (programming) error', async () => {
    const { times } = await run(retryOnly({ maxAttempts: 3 }), () =>
      Promise.reject(new RangeError('bad index')),
    )
    expect(times).toEqual([0])
  })

  it.each([
    ['408', () => new HttpStatusError(408)],
    ['429', () => new HttpStatusError(429)],
    ['503', () => new HttpStatusError(503)],
    ['a network error', networkError],
  ])('retries %s and succeeds on the next attempt', async (_, error) => {
    const { outcome, times } = await run(
      retryOnly({ maxAttempts: 3, initialDelayMs: 100, jitter: 0 }),
      () => Promise.reject(error()),
      2,
    )
    expect(outcome).toEqual({ value: 'ok on 2' })
    expect(times).toEqual([0, 100])
    expect(
      await metricValue(registry, 'agentsre_resilience_calls_total', { policy: 'dep', outcome: 'success' }),
    ).toBe(1)
    expect(await metricValue(registry, 'agentsre_resilience_retries_total', { policy: 'dep' })).toBe(1)
  })

  it('honours Retry-After in delta-seconds from the response', async () => {
    const { outcome, times } = await run(
      retryOnly({ maxAttempts: 3, initialDelayMs: 100, jitter: 0 }),
      () =>
        throwForStatus(
          new Response('busy', { status: 429, headers: { 'retry-after': '3' } }),
        ) as Promise<never>,
      2,
    )
    expect(times).toEqual([0, 3000])
    expect(outcome).toEqual({ value: 'ok on 2' })
  })

  it('honours Retry-After as an HTTP-date from the response', async () => {
    const inFiveSeconds = new Date(Date.now() + 5000).toUTCString()
    const { times } = await run(
      retryOnly({ maxAttempts: 3, initialDelayMs: 100, jitter: 0 }),
      () =>
        throwForStatus(
          new Response(null, { status: 503, headers: { 'retry-after': inFiveSeconds } }),
        ) as Promise<never>,
      2,
    )
    expect(times).toEqual([0, 5000])
  })

  it('gives up at once when Retry-After exceeds maxDelayMs, leaving the wait to the caller', async () => {
    const { outcome, times } = await run(retryOnly({ maxAttempts: 3, maxDelayMs: 10_000 }), () =>
      Promise.reject(new HttpStatusError(429, { retryAfterMs: 60_000 })),
    )
    expect(times).toEqual([0])
    expect(outcome).toMatchObject({ error: { status: 429, retryAfterMs: 60_000 } })
  })

  it('numbers attempts from 1 and passes a live signal to each', async () => {
    const policy = policyFor('dep', retryOnly({ maxAttempts: 3, initialDelayMs: 10, jitter: 0 }), {
      registry,
    })
    const seen: Array<{ attempt: number; aborted: boolean }> = []
    const outcome = settle(
      policy.execute(async ({ attempt, signal }) => {
        seen.push({ attempt, aborted: signal.aborted })
        throw new HttpStatusError(502)
      }),
    )
    await vi.runAllTimersAsync()
    await outcome
    expect(seen).toEqual([
      { attempt: 1, aborted: false },
      { attempt: 2, aborted: false },
      { attempt: 3, aborted: false },
    ])
  })

  it('starts no further attempt once the caller aborts', async () => {
    const policy = policyFor('dep', retryOnly({ maxAttempts: 5, initialDelayMs: 100, jitter: 0 }), {
      registry,
    })
    const caller = new AbortController()
    let attempts = 0
    const outcome = settle(
      policy.execute(async () => {
        attempts++
        throw new HttpStatusError(503)
      }, caller.signal),
    )
    await vi.advanceTimersByTimeAsync(50)
    caller.abort()
    await vi.runAllTimersAsync()
    expect(attempts).toBe(1)
    expect(await outcome).toMatchObject({ error: { name: 'AbortError' } })
    expect(
      await metricValue(registry, 'agentsre_resilience_calls_total', { policy: 'dep', outcome: 'failure' }),
    ).toBe(1)
  })

  it('with retry disabled runs once and reports attempt 1', async () => {
    const { outcome, times } = await run({ ...retryOnly(false) }, () =>
      Promise.reject(new HttpStatusError(503)),
    )
    expect(times).toEqual([0])
    expect(outcome).toEqual({ error: new HttpStatusError(503) })
  })
})
