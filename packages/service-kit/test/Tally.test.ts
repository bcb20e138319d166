import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { tally, tallyEach } from '../src/Tally.ts'

async function values(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric(name)!.get()
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.outcome), v.value]))
}

describe('tally', () => {
  it('adds every count to the counter at each collection, across instances sharing a registry', async () => {
    const registry = new Registry()
    const first = tally(registry, 'test_total', 'help', ['outcome'])
    const second = tally(registry, 'test_total', 'help', ['outcome'])
    const a = first({ outcome: 'a' })
    const b = first({ outcome: 'b' })
    const a2 = second({ outcome: 'a' })
    a.inc()
    a.inc(2)
    a2.inc()
    expect(await values(registry, 'test_total')).toEqual({ a: 4 })
    b.inc()
    a.inc()
    expect(await values(registry, 'test_total')).toEqual({ a: 5, b: 1 })
    expect(await registry.metrics()).toContain('test_total{outcome="a"} 5')
  })
})

describe('tallyEach', () => {
  it('gives one count per value of the label', async () => {
    const registry = new Registry()
    const counts = tallyEach(registry, 'each_total', 'help', 'outcome', ['sent', 'failed'])
    counts.sent.inc(3)
    counts.failed.inc()
    expect(Object.keys(counts)).toEqual(['sent', 'failed'])
    expect(await values(registry, 'each_total')).toEqual({ sent: 3, failed: 1 })
  })
})
