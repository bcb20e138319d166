// A global symbol so the guard still works when two copies of this package are loaded.
const brand = Symbol.for('agent-sre.events.InvalidEventError')

/**
 * A message that is not an acceptable CloudEvent. Receivers answer 400 (the broker does not
 * retry it); `statusCode` lets Fastify's error handler do that without a mapping.
 */
export class InvalidEventError extends Error {
  readonly code = 'AGENTSRE_INVALID_EVENT'
  readonly statusCode = 400
  readonly reason: string
  readonly [brand] = true

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`invalid CloudEvent: ${reason}`, options)
    this.name = 'InvalidEventError'
    this.reason = reason
  }
}

export function isInvalidEventError(err: unknown): err is InvalidEventError {
  return typeof err === 'object' && err !== null && (err as { [brand]?: unknown })[brand] === true
}
