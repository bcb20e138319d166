export interface RetryConfig {
  /** Total attempts, the first one included (1 = no retry). */
  maxAttempts: number
  /** Base delay before the first retry. */
  initialDelayMs: number
  /** Upper bound of any backoff delay; a longer Retry-After makes the policy give up instead. */
  maxDelayMs: number
  /** Growth factor of the delay between consecutive retries. */
  exponent: number
  /** Randomised fraction of each delay: delay = base × (1 − jitter × random()). 0 = none, 1 = full. */
  jitter: number
}

export interface ConsecutiveBreakerConfig {
  kind: 'consecutive'
  /** Consecutive transient failures that open the breaker. */
  threshold: number
  /** Time the breaker stays open before letting one probe call through. */
  halfOpenAfterMs: number
}

export interface SamplingBreakerConfig {
  kind: 'sampling'
  /** Failure ratio, in (0, 1), over the sampling window that opens the breaker. */
  threshold: number
  /** Length of the sampling window. */
  durationMs: number
  /** Below this call rate the breaker never opens (too little data). */
  minimumRps: number
  halfOpenAfterMs: number
}

export type BreakerConfig = ConsecutiveBreakerConfig | SamplingBreakerConfig

export interface BulkheadConfig {
  /** Calls running at the same time. */
  limit: number
  /** Calls waiting for a slot; beyond that they are rejected. */
  queue: number
}

/** A fully resolved configuration: every value present. `false` disables that part. */
export interface ResilienceConfig {
  /** Per-attempt deadline; the attempt's AbortSignal is aborted when it passes. */
  timeoutMs: number | false
  retry: RetryConfig | false
  breaker: BreakerConfig | false
  bulkhead: BulkheadConfig | false
}

/** What callers pass: any value may be left out and takes its default. */
export interface ResilienceConfigInput {
  timeoutMs?: number | false
  retry?: Partial<RetryConfig> | false
  breaker?:
    | (Partial<Omit<ConsecutiveBreakerConfig, 'kind'>> & { kind?: 'consecutive' })
    | (Partial<Omit<SamplingBreakerConfig, 'kind'>> & { kind: 'sampling' })
    | false
  bulkhead?: Partial<BulkheadConfig> | false
}

export const DEFAULT_RETRY: Readonly<RetryConfig> = Object.freeze({
  maxAttempts: 3,
  initialDelayMs: 200,
  maxDelayMs: 10_000,
  exponent: 2,
  jitter: 0.5,
})

export const DEFAULT_CONSECUTIVE_BREAKER: Readonly<ConsecutiveBreakerConfig> = Object.freeze({
  kind: 'consecutive',
  threshold: 5,
  halfOpenAfterMs: 30_000,
})

export const DEFAULT_SAMPLING_BREAKER: Readonly<SamplingBreakerConfig> = Object.freeze({
  kind: 'sampling',
  threshold: 0.5,
  durationMs: 30_000,
  minimumRps: 5,
  halfOpenAfterMs: 30_000,
})

export const DEFAULT_BULKHEAD: Readonly<BulkheadConfig> = Object.freeze({ limit: 16, queue: 64 })

export const DEFAULT_TIMEOUT_MS = 10_000

/** Fills defaults and validates; throws a RangeError naming the policy and the bad value. */
export function resolveConfig(name: string, input: ResilienceConfigInput = {}): ResilienceConfig {
  const check = (path: string, value: number, ok: boolean, rule: string): void => {
    if (!ok || !Number.isFinite(value)) {
      throw new RangeError(`resilience policy "${name}": ${path} must be ${rule}, got ${value}`)
    }
  }
  const integerAtLeast = (path: string, value: number, min: number): void =>
    check(path, value, Number.isInteger(value) && value >= min, `an integer >= ${min}`)

  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (timeoutMs !== false) integerAtLeast('timeoutMs', timeoutMs, 1)

  const retry = input.retry === false ? false : { ...DEFAULT_RETRY, ...input.retry }
  if (retry) {
    integerAtLeast('retry.maxAttempts', retry.maxAttempts, 1)
    integerAtLeast('retry.initialDelayMs', retry.initialDelayMs, 0)
    integerAtLeast('retry.maxDelayMs', retry.maxDelayMs, retry.initialDelayMs)
    check('retry.exponent', retry.exponent, retry.exponent >= 1, '>= 1')
    check('retry.jitter', retry.jitter, retry.jitter >= 0 && retry.jitter <= 1, 'between 0 and 1')
  }

  const breaker = resolveBreaker(input.breaker)
  if (breaker) {
    integerAtLeast('breaker.halfOpenAfterMs', breaker.halfOpenAfterMs, 1)
    if (breaker.kind === 'consecutive') {
      integerAtLeast('breaker.threshold', breaker.threshold, 1)
    } else {
      check(
        'breaker.threshold',
        breaker.threshold,
        breaker.threshold > 0 && breaker.threshold < 1,
        'in (0, 1)',
      )
      integerAtLeast('breaker.durationMs', breaker.durationMs, 1)
      check('breaker.minimumRps', breaker.minimumRps, breaker.minimumRps > 0, '> 0')
    }
  }

  const bulkhead = input.bulkhead === false ? false : { ...DEFAULT_BULKHEAD, ...input.bulkhead }
  if (bulkhead) {
    integerAtLeast('bulkhead.limit', bulkhead.limit, 1)
    integerAtLeast('bulkhead.queue', bulkhead.queue, 0)
  }

  return { timeoutMs, retry, breaker, bulkhead }
}

function resolveBreaker(input: ResilienceConfigInput['breaker']): BreakerConfig | false {
  if (input === false) return false
  if (input?.kind === 'sampling') return { ...DEFAULT_SAMPLING_BREAKER, ...input, kind: 'sampling' }
  return { ...DEFAULT_CONSECUTIVE_BREAKER, ...input, kind: 'consecutive' }
}
