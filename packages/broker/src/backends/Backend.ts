import type { Envelope } from '../Envelope.ts'
import type { Route } from '../Route.ts'

/** Delivers one event to one route; rejects only when the broker is closing. */
export type Deliver = (route: Route, envelope: Envelope, ingestedAt: number) => Promise<void>

/** Where a broker stores events between ingress and delivery. */
export interface BrokerBackend {
  readonly kind: 'memory' | 'kafka'
  start(routes: readonly Route[], deliver: Deliver): Promise<void>
  /** Resolves once the event is stored for every matching trigger; throws BackendUnavailableError. */
  publish(broker: string, envelope: Envelope): Promise<void>
  /** Throws when the backend cannot currently store or deliver events (readiness). */
  check(): Promise<void>
  /** Stops consuming; waits for in-flight deliveries (the broker aborts them after its grace period). */
  close(): Promise<void>
}

const brand = Symbol.for('agent-sre.broker.BackendUnavailableError')

/**
 * The backend cannot take the event now and stored none of it (ingress answers 503, which
 * senders retry): `backpressure` for a full queue, `unavailable` for a closed or unreachable one.
 */
export class BackendUnavailableError extends Error {
  readonly reason: 'backpressure' | 'unavailable'
  readonly [brand] = true

  constructor(reason: 'backpressure' | 'unavailable', message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'BackendUnavailableError'
    this.reason = reason
  }
}

export function isBackendUnavailableError(error: unknown): error is BackendUnavailableError {
  return typeof error === 'object' && error !== null && (error as { [brand]?: unknown })[brand] === true
}
