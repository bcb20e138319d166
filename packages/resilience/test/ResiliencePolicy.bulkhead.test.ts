import { isBulkheadRejectedError } from 'cockatiel'
import { Registry } from 'prom-client'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { isTransient, policyFor } from '../src/index.ts'
import { deferred, metricValue, settle } from './helpers.ts'

describe('policyFor: bulkhead', () => {
  let registry: Registry
  beforeEach(() => {
    registry = new Registry()
  })

  it('runs up to limit, queues up to queue, rejects the rest without calling them', async () => {
    const policy = policyFor(
      'dep',
      { retry: false, breaker: false, timeoutMs: false, bulkhead: { limit: 1, queue: 1 } },
      { registry },
    )
    const first = deferred<string>()
    const second = deferred<string>()
    const started: string[] = []
    const run = (label: string, gate: Promise<string>) =>
      policy.execute(() => {
        started.push(label)
        return gate
      })

    const running = run('first', first.promise)
    const queued = run('second', second.promise)
    const third = vi.fn(async () => 'third')
    const rejected = await settle(policy.execute(third))

    expect(third).not.toHaveBeenCalled()
    expect('error' in rejected && isBulkheadRejectedError(rejected.error)).toBe(true)
    expect('error' in rejected && isTransient(rejected.error)).toBe(true)
    expect(started).toEqual(['first'])

    first.resolve('one')
    expect(await running).toBe('one')
    await vi.waitFor(() => expect(started).toEqual(['first', 'second']))
    second.resolve('two')
    expect(await queued).toBe('two')

    const calls = (outcome: string) =>
      metricValue(registry, 'agentsre_resilience_calls_total', { policy: 'dep', outcome })
    expect(await calls('success')).toBe(2)
    expect(await calls('rejected_bulkhead')).toBe(1)
    policy.dispose()
  })

  it('a retried call keeps its slot through the backoff (the bulkhead wraps the retries)', async () => {
    vi.useFakeTimers()
    try {
      const policy = policyFor(
        'dep',
        {
          retry: { maxAttempts: 2, initialDelayMs: 100, jitter: 0 },
          breaker: false,
          timeoutMs: false,
          bulkhead: { limit: 1, queue: 0 },
        },
        { registry },
      )
      let attempts = 0
      const retrying = settle(
        policy.execute(async () => {
          attempts++
          if (attempts === 1) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' })
          return 'second try'
        }),
      )
      await vi.advanceTimersByTimeAsync(50)
      const during = await settle(policy.execute(async () => 'intruder'))
      expect('error' in during && isBulkheadRejectedError(during.error)).toBe(true)
      await vi.runAllTimersAsync()
      expect(await retrying).toEqual({ value: 'second try' })
      policy.dispose()
    } finally {
      vi.useRealTimers()
    }
  })
})
