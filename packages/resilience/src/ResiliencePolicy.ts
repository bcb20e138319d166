import {
  bulkhead,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type IBreaker,
  type IDefaultPolicyContext,
  type IDisposable,
  type IPolicy,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  noop,
  retry,
  SamplingBreaker,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel'
import { register as globalRegistry, type Registry } from 'prom-client'
import { backoffFor, type RandomSource } from './Backoff.ts'
import { isRejection, isTransient } from './Classification.ts'
import { isHttpStatusError } from './HttpStatusError.ts'
import { type ResilienceLogger, silentLogger } from './Logger.ts'
import { CALL_OUTCOMES, type CallOutcome, resilienceMetrics } from './Metrics.ts'
import {
  type BreakerConfig,
  type ResilienceConfig,
  type ResilienceConfigInput,
  resolveConfig,
} from './ResilienceConfig.ts'
import { isTimeoutError, TimeoutError } from './TimeoutError.ts'

export type BreakerState = 'closed' | 'half-open' | 'open'

export interface AttemptContext {
  /** Aborted when the attempt's timeout passes or the caller's signal aborts: pass it to fetch. */
  signal: AbortSignal
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number
}

export interface PolicyOptions {
  /** Where metrics are registered; default prom-client's global registry. */
  registry?: Registry
  /** Receives one line per breaker state change; default silent. */
  logger?: ResilienceLogger
  /** Jitter source in [0, 1); default Math.random. */
  random?: RandomSource
}

export interface ResiliencePolicy {
  readonly name: string
  readonly config: ResilienceConfig
  /** Current breaker state; always 'closed' when the breaker is disabled. */
  readonly breakerState: BreakerState
  /**
   * Runs `fn` through bulkhead → retry → circuit breaker → timeout. Rejects with the last error:
   * the function's own, a TimeoutError, or cockatiel's BrokenCircuitError/BulkheadRejectedError.
   */
  execute<T>(fn: (context: AttemptContext) => Promise<T>, signal?: AbortSignal): Promise<T>
  /** Detaches metric and log listeners; the policy rejects calls afterwards. */
  dispose(): void
}

const GAUGE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 }

// Isolation is a manual cockatiel feature we do not expose; it rejects like an open breaker.
const STATE_NAME: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Open]: 'open',
  [CircuitState.Isolated]: 'open',
}

/**
 * Builds the resilience policy for one dependency. Create it once per dependency and reuse it:
 * the breaker and bulkhead only work when every call to that dependency shares them.
 */
export function policyFor(
  name: string,
  input?: ResilienceConfigInput,
  options: PolicyOptions = {},
): ResiliencePolicy {
  const config = resolveConfig(name, input)
  const metrics = resilienceMetrics(options.registry ?? globalRegistry)
  const logger = options.logger ?? silentLogger
  const random = options.random ?? Math.random
  const labels = { policy: name }
  const listeners: IDisposable[] = []

  // Zero-initialised series so rate() and alerts see the policy before its first failure.
  for (const outcome of CALL_OUTCOMES) metrics.calls.inc({ ...labels, outcome }, 0)
  metrics.retries.inc(labels, 0)
  metrics.breakerState.set(labels, GAUGE_VALUE.closed)

  const layers: IPolicy<IDefaultPolicyContext, never>[] = []
  if (config.bulkhead) layers.push(bulkhead(config.bulkhead.limit, config.bulkhead.queue))

  const retryConfig = config.retry
  if (retryConfig && retryConfig.maxAttempts > 1) {
    // Our own rejections are not retried (the breaker stays open for halfOpenAfterMs anyway), nor is
    // a Retry-After beyond maxDelayMs: the caller gets the error, with retryAfterMs, to reschedule.
    const shouldRetry = (error: Error): boolean =>
      isTransient(error) &&
      !isRejection(error) &&
      !(isHttpStatusError(error) && (error.retryAfterMs ?? 0) > retryConfig.maxDelayMs)
    const retryPolicy = retry(handleWhen(shouldRetry), {
      maxAttempts: retryConfig.maxAttempts - 1,
      backoff: backoffFor(retryConfig, random),
    })
    listeners.push(retryPolicy.onRetry(() => metrics.retries.inc(labels)))
    layers.push(retryPolicy)
  }

  let state: BreakerState = 'closed'
  let lastBreakReason: object | undefined
  if (config.breaker) {
    const breakerPolicy = circuitBreaker(handleWhen(isTransient), {
      halfOpenAfter: config.breaker.halfOpenAfterMs,
      breaker: breakerFor(config.breaker),
    })
    listeners.push(
      breakerPolicy.onBreak((reason) => {
        // onBreak fires just before onStateChange: keep the cause for the log line.
        lastBreakReason = 'error' in reason ? describeFailure(reason.error) : undefined
      }),
      breakerPolicy.onStateChange((next) => {
        const from = state
        const to = STATE_NAME[next]
        if (from === to) return
        state = to
        metrics.breakerState.set(labels, GAUGE_VALUE[to])
        metrics.breakerTransitions.inc({ ...labels, from, to })
        const fields = { policy: name, from, to, ...(to === 'open' ? { reason: lastBreakReason } : {}) }
        if (to === 'open') logger.warn(fields, 'circuit breaker opened')
        else logger.info(fields, to === 'closed' ? 'circuit breaker closed' : 'circuit breaker half-open')
      }),
    )
    layers.push(breakerPolicy)
  }

  if (config.timeoutMs !== false) {
    // The attempt's signal aborts at the deadline, not also when the attempt returns: cockatiel's
    // abort-on-return builds a DOMException, stack trace included, per call, half of this
    // policy's CPU. Functions finish (or cancel) their I/O before they return, as the emitter does.
    layers.push(timeout(config.timeoutMs, { strategy: TimeoutStrategy.Cooperative, abortOnReturn: false }))
  }

  const composed = layers.length === 0 ? noop : wrap(...layers)
  const timeoutMs = config.timeoutMs
  let disposed = false

  return {
    name,
    config,
    get breakerState() {
      return state
    },
    async execute<T>(fn: (context: AttemptContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (disposed) throw new Error(`resilience policy "${name}" is disposed`)
      try {
        const result = await composed.execute(async (context) => {
          // Cockatiel starts the attempt after a backoff even if the caller aborted meanwhile.
          signal?.throwIfAborted()
          try {
            return await fn({ signal: context.signal, attempt: attemptOf(context) })
          } catch (error) {
            // Under a cooperative timeout the function throws whatever its I/O throws on abort;
            // when our deadline caused the abort, say so, so the failure classifies as a timeout.
            if (timeoutMs !== false && context.signal.aborted && !signal?.aborted) {
              throw new TimeoutError(name, timeoutMs, { cause: error })
            }
            throw error
          }
        }, signal)
        metrics.calls.inc({ ...labels, outcome: 'success' })
        return result
      } catch (error) {
        metrics.calls.inc({ ...labels, outcome: outcomeOf(error) })
        throw error
      }
    },
    dispose() {
      disposed = true
      for (const listener of listeners.splice(0)) listener.dispose()
    },
  }
}

function breakerFor(config: BreakerConfig): IBreaker {
  return config.kind === 'consecutive'
    ? new ConsecutiveBreaker(config.threshold)
    : new SamplingBreaker({
        threshold: config.threshold,
        duration: config.durationMs,
        minimumRps: config.minimumRps,
      })
}

// Cockatiel's retry context counts from 0 and only exists when retry is on.
function attemptOf(context: IDefaultPolicyContext): number {
  return 'attempt' in context && typeof context.attempt === 'number' ? context.attempt + 1 : 1
}

function outcomeOf(error: unknown): CallOutcome {
  if (isBrokenCircuitError(error)) return 'rejected_open_breaker'
  if (isBulkheadRejectedError(error)) return 'rejected_bulkhead'
  if (isTimeoutError(error)) return 'timeout'
  return 'failure'
}

// Name, status and code identify the failure without echoing messages that may carry request data.
function describeFailure(error: Error): object {
  // fetch puts the socket error's code on `cause`.
  const { code } =
    (error as { code?: unknown }).code === undefined
      ? ((error.cause ?? {}) as { code?: unknown })
      : (error as { code?: unknown })
  return {
    name: error.name,
    ...(isHttpStatusError(error) ? { status: error.status } : {}),
    ...(typeof code === 'string' ? { code } : {}),
  }
}
