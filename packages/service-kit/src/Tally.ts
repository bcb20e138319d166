import { Counter, type Registry } from 'prom-client'

// Looked up before being made: several apps (and test cases) can share a registry.

/** One label set of a `tally`: `inc` adds to a plain number. */
export interface Count {
  inc(by?: number): void
}

type Source = { labels: Record<string, string>; pending: number }
const sources = new WeakMap<Counter<string>, Source[]>()

/**
 * A labelled counter for hot paths: `tally(...)(labels)` is taken once per label set, and its
 * `inc` adds to a plain number, moved into the prom-client counter when the counter is collected
 * (a scrape). prom-client's `inc(labels)` hashes and validates the label object on every call,
 * which was a measurable part of a request that only bumps a counter or two.
 */
export function tally<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
): (labels: Record<L, string>) => Count {
  let metric = registry.getSingleMetric(name) as Counter<L> | undefined
  if (!metric) {
    metric = new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        for (const source of sources.get(this as Counter<string>) ?? []) {
          if (source.pending === 0) continue
          this.inc(source.labels as Record<L, string>, source.pending)
          source.pending = 0
        }
      },
    })
    sources.set(metric as Counter<string>, [])
  }
  const list = sources.get(metric as Counter<string>)
  if (!list) throw new Error(`${name} is registered, but not as a tally`)
  return (labels) => {
    const source: Source = { labels, pending: 0 }
    list.push(source)
    return {
      inc(by = 1) {
        source.pending += by
      },
    }
  }
}

/**
 * One `Count` per value of a single label, taken up front: `tallyEach(r, name, help, 'outcome',
 * ['sent', 'failed']).sent.inc()`.
 */
export function tallyEach<V extends string>(
  registry: Registry,
  name: string,
  help: string,
  label: string,
  values: readonly V[],
): Record<V, Count> {
  const count = tally(registry, name, help, [label])
  return Object.fromEntries(values.map((value) => [value, count({ [label]: value })])) as Record<V, Count>
}
