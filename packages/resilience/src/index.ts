export type { RandomSource } from './Backoff.ts'
export { isNetworkError, isRejection, isTransient, isTransientStatus } from './Classification.ts'
export type { HttpStatusErrorOptions } from './HttpStatusError.ts'
export { HttpStatusError, isHttpStatusError } from './HttpStatusError.ts'
export type { ResilienceLogger } from './Logger.ts'
export type { CallOutcome } from './Metrics.ts'
export type {
  BreakerConfig,
  BulkheadConfig,
  ConsecutiveBreakerConfig,
  ResilienceConfig,
  ResilienceConfigInput,
  RetryConfig,
  SamplingBreakerConfig,
} from './ResilienceConfig.ts'
export {
  DEFAULT_BULKHEAD,
  DEFAULT_CONSECUTIVE_BREAKER,
  DEFAULT_RETRY,
  DEFAULT_SAMPLING_BREAKER,
  DEFAULT_TIMEOUT_MS,
  resolveConfig,
} from './ResilienceConfig.ts'
export type { AttemptContext, BreakerState, PolicyOptions, ResiliencePolicy } from './ResiliencePolicy.ts'
export { policyFor } from './ResiliencePolicy.ts'
export { parseRetryAfter } from './RetryAfter.ts'
export { throwForStatus } from './ThrowForStatus.ts'
export { isTimeoutError, TimeoutError } from './TimeoutError.ts'
