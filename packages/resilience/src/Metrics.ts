import { Counter, Gauge, type Registry } from 'prom-client'

export const CALL_OUTCOMES = [
  'success',
  'failure',
  'rejected_open_breaker',
  'rejected_bulkhead',
  'timeout',
] as const
export type CallOutcome = (typeof CALL_OUTCOMES)[number]

export interface ResilienceMetrics {
  calls: Counter<'policy' | 'outcome'>
  retries: Counter<'policy'>
  breakerState: Gauge<'policy'>
  breakerTransitions: Counter<'policy' | 'from' | 'to'>
}

// One set of metrics per registry: every policy shares it, told apart by the `policy` label.
const byRegistry = new WeakMap<Registry, ResilienceMetrics>()

export function resilienceMetrics(registry: Registry): ResilienceMetrics {
  const cached = byRegistry.get(registry)
  // A registry.clear() (common between tests) drops our metrics: register them again then.
  if (cached && registry.getSingleMetric('agentsre_resilience_calls_total') === cached.calls) return cached
  const registers = [registry]
  const metrics: ResilienceMetrics = {
    calls: new Counter({
      name: 'agentsre_resilience_calls_total',
      help: 'Calls through a resilience policy, by final outcome (after retries)',
      labelNames: ['policy', 'outcome'],
      registers,
    }),
    retries: new Counter({
      name: 'agentsre_resilience_retries_total',
      help: 'Retries scheduled by a resilience policy',
      labelNames: ['policy'],
      registers,
    }),
    breakerState: new Gauge({
      name: 'agentsre_resilience_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
      labelNames: ['policy'],
      registers,
    }),
    breakerTransitions: new Counter({
      name: 'agentsre_resilience_breaker_transitions_total',
      help: 'Circuit breaker state changes',
      labelNames: ['policy', 'from', 'to'],
      registers,
    }),
  }
  byRegistry.set(registry, metrics)
  return metrics
}
