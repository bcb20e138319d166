import { Gauge, type Registry } from 'prom-client'

// Metrics are looked up before being made: several apps (and test cases) can share a registry.

export function gauge(registry: Registry, name: string, help: string, collect: () => number): Gauge {
  const existing = registry.getSingleMetric(name)
  if (existing) registry.removeSingleMetric(name)
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(collect())
    },
  })
}
