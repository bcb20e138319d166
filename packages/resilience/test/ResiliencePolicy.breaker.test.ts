import { isBrokenCircuitError } from 'cockatiel'
import { Registry } from 'prom-client'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  HttpStatusError,
  policyFor,
  type ResilienceConfigInput,
  type ResiliencePolicy,
} from '../src/index.ts'
import { deferred, metricValue, recordingLogger, settle } from './helpers.ts'

const breakerOnly: ResilienceConfigInput = {
  retry: false,
  timeoutMs: false,
  bulkhead: false,
  breaker: { threshold: 2, halfOpenAfterMs: 1000 },
}

const fail = (status: number) => async (): Promise<never> => {
  throw new HttpStatusError(status)
}

describe('policyFor: circuit breaker', () => {
  let registry: Registry
  let logger: ReturnType<typeof recordingLogger>
  let policy: ResiliencePolicy
  const state = () => metricValue(registry, 'agentsre_resilience_breaker_state', { policy: 'dep' })
  const transitions = (from: string, to: string) =>
    metricValue(registry, 'agentsre_resilience_breaker_transitions_total', { policy: 'dep', from, to })
  const calls = (outcome: string) =>
    metricValue(registry, 'agentsre_resilience_calls_total', { policy: 'dep', outcome })

  beforeEach(() => {
    vi.useFakeTimers()
    registry = new Registry()
    logger = recordingLogger()
    policy = policyFor('dep', breakerOnly, { registry, logger })
  })
  afterEach(() => {
    policy.dispose()
    vi.useRealTimers()
  })

  async function open() {
    await settle(policy.execute(fail(503)))
    await settle(policy.execute(fail(503)))
  }

  it('opens after threshold consecutive transient failures and rejects without calling', async () => {
    await open()
    expect(policy.breakerState).toBe('open')
    const fn = vi.fn(async () => 'ok')
    const rejected = await settle(policy.execute(fn))
    expect(fn).not.toHaveBeenCalled()
    expect('error' in rejected && isBrokenCircuitError(rejected.error)).toBe(true)
    expect(await state()).toBe(2)
    expect(await calls('failure')).toBe(2)
    expect(await calls('rejected_open_breaker')).toBe(1)
  })

  it('logs the opening with the cause, without the error message', async () => {
    await open()
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        fields: {
          policy: 'dep',
          from: 'closed',
          to: 'open',
          reason: { name: 'HttpStatusError', status: 503 },
        },
        message: 'circuit breaker opened',
      },
    ])
  })

  it('is not opened by permanent failures', async () => {
    for (let i = 0; i < 5; i++) await settle(policy.execute(fail(404)))
    expect(policy.breakerState).toBe('closed')
    expect(logger.lines).toEqual([])
  })

  it('a success resets the consecutive count', async () => {
    await settle(policy.execute(fail(503)))
    await policy.execute(async () => 'ok')
    await settle(policy.execute(fail(503)))
    expect(policy.breakerState).toBe('closed')
  })

  it('after halfOpenAfterMs lets one probe through, and closes when it succeeds', async () => {
    await open()
    await vi.advanceTimersByTimeAsync(999)
    const early = vi.fn(async () => 'early')
    await settle(policy.execute(early))
    expect(early).not.toHaveBeenCalled()
    expect(policy.breakerState).toBe('open')
    await vi.advanceTimersByTimeAsync(1)

    const probe = deferred<string>()
    const probeCall = policy.execute(() => probe.promise)
    expect(policy.breakerState).toBe('half-open')
    expect(await state()).toBe(1)
    probe.resolve('recovered')
    expect(await probeCall).toBe('recovered')

    expect(policy.breakerState).toBe('closed')
    expect(await state()).toBe(0)
    expect(await policy.execute(async () => 'normal')).toBe('normal')
    expect(
      logger.lines.map(({ level, fields, message }) => [level, fields.from, fields.to, message]),
    ).toEqual([
      ['warn', 'closed', 'open', 'circuit breaker opened'],
      ['info', 'open', 'half-open', 'circuit breaker half-open'],
      ['info', 'half-open', 'closed', 'circuit breaker closed'],
    ])
    expect(await transitions('closed', 'open')).toBe(1)
    expect(await transitions('open', 'half-open')).toBe(1)
    expect(await transitions('half-open', 'closed')).toBe(1)
  })

  it('calls arriving during the probe wait for it, then run if it succeeded', async () => {
    await open()
    await vi.advanceTimersByTimeAsync(1000)
    const probe = deferred<string>()
    const probeCall = policy.execute(() => probe.promise)
    const waiter = vi.fn(async () => 'after probe')
    const waiting = policy.execute(waiter)
    await vi.advanceTimersByTimeAsync(0)
    expect(waiter).not.toHaveBeenCalled()
    probe.resolve('probe ok')
    expect(await probeCall).toBe('probe ok')
    expect(await waiting).toBe('after probe')
  })

  it('re-opens when the probe fails, for another halfOpenAfterMs', async () => {
    await open()
    await vi.advanceTimersByTimeAsync(1000)
    await settle(policy.execute(fail(502)))
    expect(policy.breakerState).toBe('open')
    expect(await state()).toBe(2)
    expect(await transitions('half-open', 'open')).toBe(1)

    const fn = vi.fn(async () => 'ok')
    await vi.advanceTimersByTimeAsync(999)
    await settle(policy.execute(fn))
    expect(fn).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(await policy.execute(fn)).toBe('ok')
    expect(policy.breakerState).toBe('closed')
    expect(logger.lines.map(({ fields }) => `${fields.from}->${fields.to}`)).toEqual([
      'closed->open',
      'open->half-open',
      'half-open->open',
      'open->half-open',
      'half-open->closed',
    ])
  })

  it('a sampling breaker opens on the failure ratio over its window', async () => {
    const sampling = policyFor(
      'sampled',
      { ...breakerOnly, breaker: { kind: 'sampling', threshold: 0.5, durationMs: 1000, minimumRps: 4 } },
      { registry },
    )
    // 4 calls in the window meet minimumRps; 3 of 4 failing is above the 0.5 ratio.
    await sampling.execute(async () => 'ok')
    await settle(sampling.execute(fail(500)))
    await settle(sampling.execute(fail(500)))
    expect(sampling.breakerState).toBe('closed')
    await settle(sampling.execute(fail(500)))
    expect(sampling.breakerState).toBe('open')
    sampling.dispose()
  })

  it('stops retrying as soon as the breaker opens mid-call', async () => {
    const retrying = policyFor(
      'retrying',
      { ...breakerOnly, retry: { maxAttempts: 5, initialDelayMs: 10, jitter: 0 } },
      { registry, random: () => 0 },
    )
    let attempts = 0
    const outcome = settle(
      retrying.execute(async () => {
        attempts++
        throw new HttpStatusError(503)
      }),
    )
    await vi.runAllTimersAsync()
    expect(attempts).toBe(2)
    const result = await outcome
    expect('error' in result && isBrokenCircuitError(result.error)).toBe(true)
    expect(
      await metricValue(registry, 'agentsre_resilience_calls_total', {
        policy: 'retrying',
        outcome: 'rejected_open_breaker',
      }),
    ).toBe(1)
    retrying.dispose()
  })
})
