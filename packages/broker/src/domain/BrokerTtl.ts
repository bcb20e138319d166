/** The loop guard extension Knative brokers carry on every event they route. */
export const TTL_EXTENSION = 'knativebrokerttl'

/** Knative's default hop budget for an event entering a broker without one. */
export const DEFAULT_TTL = 255

/** The hop budget of an event entering the broker: its own when valid, otherwise the default. */
export function ttlOnIngress(value: unknown, defaultTtl = DEFAULT_TTL): number {
  const ttl = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN
  return Number.isInteger(ttl) ? ttl : defaultTtl
}

/**
 * The budget a reply inherits from the event it answers: one hop fewer. `undefined` means the
 * budget is spent and the reply must be dropped (it would otherwise loop between triggers forever).
 */
export function ttlForReply(deliveredTtl: number): number | undefined {
  const next = deliveredTtl - 1
  return next > 0 ? next : undefined
}
