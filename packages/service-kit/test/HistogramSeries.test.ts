import { Histogram, Registry } from 'prom-client'
import { expect, it, vi } from 'vitest'
import { HistogramSeries } from '../src/HistogramSeries.ts'

function histogram(): { registry: Registry; histogram: Histogram<'method' | 'route'> } {
  const registry = new Registry()
  const made = new Histogram({
    name: 'request_seconds',
    help: 'h',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.1, 1],
    registers: [registry],
  })
  return { registry, histogram: made }
}

// Boundaries, between them, above the largest bound (+Inf only) and zero.
const values = [0, 0.005, 0.0051, 0.01, 0.05, 0.1, 0.5, 1, 1.5, 30]

it('records exactly what prom-client records for the same observations, across a reset', async () => {
  const fast = histogram()
  const slow = histogram()
  const series = new HistogramSeries(fast.histogram, { method: 'GET', route: '/a' })
  const other = new HistogramSeries(fast.histogram, { method: 'POST', route: '/a' })
  const observeBoth = (value: number) => {
    series.observe(value)
    slow.histogram.labels('GET', '/a').observe(value)
    other.observe(value * 2)
    slow.histogram.observe({ method: 'POST', route: '/a' }, value * 2)
  }
  for (const value of values) observeBoth(value)
  expect(await fast.registry.metrics()).toBe(await slow.registry.metrics())
  expect(await fast.registry.metrics()).toContain('request_seconds_count{method="GET",route="/a"} 10')

  fast.registry.resetMetrics()
  slow.registry.resetMetrics()
  for (const value of values.slice(3)) observeBoth(value)
  expect(await fast.registry.metrics()).toBe(await slow.registry.metrics())
  expect(await fast.registry.metrics()).toContain('request_seconds_count{method="GET",route="/a"} 7')
})

it('leaves a value that is not a finite number to prom-client, which refuses it', () => {
  const { histogram: made } = histogram()
  const series = new HistogramSeries(made, { method: 'GET', route: '/a' })
  series.observe(0.01)
  expect(() => series.observe(Number.NaN)).toThrow(/not a valid number/)
})

it('follows prom-client when a series is removed or zeroed', async () => {
  const fast = histogram()
  const slow = histogram()
  const series = new HistogramSeries(fast.histogram, { method: 'GET', route: '/a' })
  for (const made of [fast, slow]) made.histogram.observe({ method: 'GET', route: '/a' }, 0.5)
  series.observe(0.5)
  slow.histogram.observe({ method: 'GET', route: '/a' }, 0.5)
  fast.histogram.remove('GET', '/a')
  slow.histogram.remove('GET', '/a')
  series.observe(0.05)
  slow.histogram.observe({ method: 'GET', route: '/a' }, 0.05)
  fast.histogram.zero({ method: 'GET', route: '/a' })
  slow.histogram.zero({ method: 'GET', route: '/a' })
  series.observe(2)
  series.observe(0.001)
  slow.histogram.observe({ method: 'GET', route: '/a' }, 2)
  slow.histogram.observe({ method: 'GET', route: '/a' }, 0.001)
  expect(await fast.registry.metrics()).toBe(await slow.registry.metrics())
  expect(await fast.registry.metrics()).toContain('request_seconds_count{method="GET",route="/a"} 2')
})

it('leaves every observation to prom-client when its storage is not the known shape', () => {
  // As a prom-client that keeps series in a Map, or buckets in an array, would.
  for (const storage of [
    { hashMap: new Map(), upperBounds: [0.1, 1] },
    { hashMap: {}, upperBounds: [0.1, 1] },
  ]) {
    const observe = vi.fn((labels: Record<string, string>) => {
      if (!(storage.hashMap instanceof Map)) {
        ;(storage.hashMap as Record<string, unknown>).h = { labels, buckets: [0, 0], sum: 0, count: 0 }
      }
    })
    const fake = { ...storage, observe } as unknown as Histogram<'route'>
    const series = new HistogramSeries(fake, { route: '/a' })
    for (let i = 0; i < 3; i++) series.observe(0.5)
    expect(observe).toHaveBeenCalledTimes(3)
    expect(observe).toHaveBeenLastCalledWith({ route: '/a' }, 0.5)
  }
})
