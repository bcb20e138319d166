import type { LabelSet } from './fingerprint.ts'

export type AlertStatus = 'firing' | 'resolved'

/** One alert after validation, whatever its source. */
export interface IncomingAlert {
  readonly status: AlertStatus
  readonly labels: LabelSet
  readonly annotations: LabelSet
  /** RFC 3339 as received, kept for the outgoing event. */
  readonly startsAt: string
  readonly endsAt: string
  readonly generatorURL: string
  /** Supplied by the sender, checked against the computed one. */
  readonly fingerprint?: string | undefined
}

/** Alertmanager writes the zero time (0001-01-01T00:00:00Z) for "no end known". */
export const ZERO_TIME = '0001-01-01T00:00:00Z'

/** Epoch ms of an RFC 3339 timestamp; null for the zero time and anything before the epoch. */
export function timeMs(rfc3339: string): number | null {
  const ms = Date.parse(rfc3339)
  return Number.isFinite(ms) && ms > 0 ? ms : null
}
