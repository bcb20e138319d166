import { parseIsoDuration } from './IsoDuration.ts'

export type BackoffPolicy = 'exponential' | 'linear'

/** Where an event goes: a URL, or a service of the platform resolved to its local URL. */
export type Destination = { readonly uri: string } | { readonly service: string; readonly path: string }

export interface DeliveryPolicy {
  /** Extra attempts after the first one (attempts = retry + 1). */
  readonly retry: number
  readonly backoffPolicy: BackoffPolicy
  readonly backoffDelayMs: number
  /** Per-request timeout. */
  readonly timeoutMs: number
  readonly deadLetterSink?: Destination
}

/**
 * Defaults of the Knative Kafka broker: no retry unless asked, exponential backoff from 1 s
 * (its controller's DefaultBackoffDelayMs). Knative sets no request timeout by default; we cap a
 * request at 10 minutes so a hung subscriber cannot hold a delivery slot forever.
 */
export const DEFAULT_DELIVERY: DeliveryPolicy = {
  retry: 0,
  backoffPolicy: 'exponential',
  backoffDelayMs: 1_000,
  timeoutMs: 600_000,
}

/**
 * Wait before retry number `retryNumber` (1 for the first retry): delay·2^k for exponential,
 * delay·k for linear, as the Knative Kafka dispatcher computes it.
 */
export function backoffDelay(
  policy: Pick<DeliveryPolicy, 'backoffPolicy' | 'backoffDelayMs'>,
  retryNumber: number,
) {
  return policy.backoffPolicy === 'linear'
    ? policy.backoffDelayMs * retryNumber
    : policy.backoffDelayMs * 2 ** retryNumber
}

/** The whole wait schedule of a policy: one entry per retry. */
export function backoffSchedule(policy: DeliveryPolicy): number[] {
  return Array.from({ length: policy.retry }, (_, index) => backoffDelay(policy, index + 1))
}

/** Thrown for a `delivery:` block a Knative Trigger would not accept. */
export class InvalidDeliveryError extends Error {
  override readonly name = 'InvalidDeliveryError'
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Parses a destination (`{ uri }` or `{ ref: { service, path? } }`) from chart values. */
export function parseDestination(value: unknown, where: string): Destination {
  if (!isRecord(value))
    throw new InvalidDeliveryError(`${where}: expected { uri } or { ref: { service, path } }`)
  if (typeof value.uri === 'string' && value.uri !== '') {
    let url: URL
    try {
      url = new URL(value.uri)
    } catch {
      throw new InvalidDeliveryError(`${where}.uri: "${value.uri}" is not an absolute URL`)
    }
    return { uri: url.toString() }
  }
  if (isRecord(value.ref) && typeof value.ref.service === 'string' && value.ref.service !== '') {
    const path = value.ref.path ?? '/'
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new InvalidDeliveryError(`${where}.ref.path: must start with "/"`)
    }
    return { service: value.ref.service, path }
  }
  throw new InvalidDeliveryError(`${where}: expected { uri } or { ref: { service, path } }`)
}

/** Parses a Trigger's `delivery:` block, filling Knative Kafka broker defaults. */
export function parseDeliveryPolicy(value: unknown, where = 'delivery'): DeliveryPolicy {
  if (value === undefined || value === null) return DEFAULT_DELIVERY
  if (!isRecord(value)) throw new InvalidDeliveryError(`${where}: expected a mapping`)
  const known = new Set(['retry', 'backoffPolicy', 'backoffDelay', 'timeout', 'deadLetterSink'])
  for (const key of Object.keys(value)) {
    if (!known.has(key)) throw new InvalidDeliveryError(`${where}.${key}: unknown field`)
  }
  const { retry = DEFAULT_DELIVERY.retry, backoffPolicy = DEFAULT_DELIVERY.backoffPolicy } = value
  if (typeof retry !== 'number' || !Number.isInteger(retry) || retry < 0) {
    throw new InvalidDeliveryError(`${where}.retry: must be a non-negative integer`)
  }
  if (backoffPolicy !== 'exponential' && backoffPolicy !== 'linear') {
    throw new InvalidDeliveryError(`${where}.backoffPolicy: must be "exponential" or "linear"`)
  }
  const duration = (field: 'backoffDelay' | 'timeout', fallback: number): number => {
    const raw = value[field]
    if (raw === undefined) return fallback
    if (typeof raw !== 'string')
      throw new InvalidDeliveryError(`${where}.${field}: must be an ISO-8601 duration`)
    try {
      return parseIsoDuration(raw)
    } catch (error) {
      throw new InvalidDeliveryError(`${where}.${field}: ${(error as Error).message}`)
    }
  }
  const timeoutMs = duration('timeout', DEFAULT_DELIVERY.timeoutMs)
  if (timeoutMs <= 0) throw new InvalidDeliveryError(`${where}.timeout: must be greater than zero`)
  return {
    retry,
    backoffPolicy,
    backoffDelayMs: duration('backoffDelay', DEFAULT_DELIVERY.backoffDelayMs),
    timeoutMs,
    ...(value.deadLetterSink !== undefined && {
      deadLetterSink: parseDestination(value.deadLetterSink, `${where}.deadLetterSink`),
    }),
  }
}
