import { timeMs } from './alert.ts'

/**
 * A firing alert carries `endsAt` = the time it is considered resolved unless refreshed (Prometheus
 * sets it a few evaluation intervals ahead on every send). When that time passes without a refresh
 * the sender is gone or the alert stopped: it is resolved here, `graceMs` later to absorb clock skew
 * and delivery delay. The zero time ("no end known") never goes stale.
 */
export function staleSince(status: string, endsAt: string, graceMs: number): number | null {
  if (status !== 'firing') return null
  const end = timeMs(endsAt)
  return end === null ? null : end + graceMs
}

export function isStale(status: string, endsAt: string, now: number, graceMs: number): boolean {
  const since = staleSince(status, endsAt, graceMs)
  return since !== null && now >= since
}
