import {
  ExponentialBackoff,
  type GeneratorFn,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
} from 'cockatiel'
import { isHttpStatusError } from './HttpStatusError.ts'
import type { RetryConfig } from './ResilienceConfig.ts'

/** Source of randomness in [0, 1); injectable so tests can pin the jitter. */
export type RandomSource = () => number

type RetryBackoffContext = IRetryBackoffContext<unknown>

/**
 * Cockatiel's ExponentialBackoff with our jitter: the n-th retry (n from 0) waits
 * min(maxDelayMs, initialDelayMs × exponent^n) × (1 − jitter × random()), rounded to a millisecond.
 * A Retry-After carried by the failure raises the wait to at least that much.
 */
export function backoffFor(config: RetryConfig, random: RandomSource): IBackoffFactory<RetryBackoffContext> {
  const generator: GeneratorFn<number> = (attempt = 0, options) => {
    const base = Math.min(options.maxDelay, options.initialDelay * options.exponent ** attempt)
    return [Math.round(base * (1 - config.jitter * random())), attempt + 1]
  }
  const exponential: IBackoffFactory<unknown> = new ExponentialBackoff({
    generator,
    initialDelay: config.initialDelayMs,
    maxDelay: config.maxDelayMs,
    exponent: config.exponent,
  })
  return { next: (context) => honourRetryAfter(exponential.next(context), context) }
}

function honourRetryAfter(
  step: IBackoff<unknown>,
  context: RetryBackoffContext,
): IBackoff<RetryBackoffContext> {
  return {
    duration: Math.max(step.duration, retryAfterOf(context) ?? 0),
    next: (nextContext) => honourRetryAfter(step.next(nextContext), nextContext),
  }
}

function retryAfterOf(context: RetryBackoffContext): number | undefined {
  return 'error' in context.result && isHttpStatusError(context.result.error)
    ? context.result.error.retryAfterMs
    : undefined
}
