import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { policyFor } from '../src/index.ts'
import { metricValue } from './helpers.ts'

describe('policyFor', () => {
  it('exports zeroed series for a new policy so alerts see it before its first call', async () => {
    const registry = new Registry()
    policyFor('fresh', {}, { registry })
    const text = await registry.metrics()
    for (const outcome of ['success', 'failure', 'rejected_open_breaker', 'rejected_bulkhead', 'timeout']) {
      expect(text).toContain(`agentsre_resilience_calls_total{policy="fresh",outcome="${outcome}"} 0`)
    }
    expect(text).toContain('agentsre_resilience_retries_total{policy="fresh"} 0')
    expect(text).toContain('agentsre_resilience_breaker_state{policy="fresh"} 0')
  })

  it('shares one set of metrics between policies on the same registry, told apart by label', async () => {
    const registry = new Registry()
    const a = policyFor('a', {}, { registry })
    const b = policyFor('b', {}, { registry })
    await a.execute(async () => 1)
    await b.execute(async () => 2)
    await b.execute(async () => 3)
    expect(
      await metricValue(registry, 'agentsre_resilience_calls_total', { policy: 'a', outcome: 'success' }),
    ).toBe(1)
    expect(
      await metricValue(registry, 'agentsre_resilience_calls_total', { policy: 'b', outcome: 'success' }),
    ).toBe(2)
  })

  it('registers its metrics again after registry.clear()', async () => {
    const registry = new Registry()
    policyFor('before', {}, { registry })
    registry.clear()
    const after = policyFor('after', {}, { registry })
    await after.execute(async () => 'ok')
    expect(
      await metricValue(registry, 'agentsre_resilience_calls_total', { policy: 'after', outcome: 'success' }),
    ).toBe(1)
  })

  it('exposes its resolved config and name', () => {
    const policy = policyFor('dep', { timeoutMs: 250, bulkhead: false }, { registry: new Registry() })
    expect(policy.name).toBe('dep')
    expect(policy.config.timeoutMs).toBe(250)
    expect(policy.config.bulkhead).toBe(false)
    expect(policy.breakerState).toBe('closed')
  })

  it('works with every part disabled', async () => {
    const policy = policyFor(
      'bare',
      { timeoutMs: false, retry: false, breaker: false, bulkhead: false },
      { registry: new Registry() },
    )
    expect(
      await policy.execute(async ({ attempt, signal }) => ({ attempt, aborted: signal.aborted })),
    ).toEqual({
      attempt: 1,
      aborted: false,
    })
  })

  it('rejects calls after dispose', async () => {
    const policy = policyFor('dep', {}, { registry: new Registry() })
    policy.dispose()
    await expect(policy.execute(async () => 'ok')).rejects.toThrow('resilience policy "dep" is disposed')
  })

  it('rejects an invalid config at construction', () => {
    expect(() => policyFor('dep', { retry: { maxAttempts: -1 } }, { registry: new Registry() })).toThrow(
      RangeError,
    )
  })
})
