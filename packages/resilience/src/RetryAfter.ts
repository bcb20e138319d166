const DELTA_SECONDS = /^\d+$/
// All three HTTP-date forms (IMF-fixdate, RFC 850, asctime) start with a day name; requiring it
// keeps Date.parse from reading garbage such as "1.5" as a date.
const HTTP_DATE = /^(mon|tue|wed|thu|fri|sat|sun)[a-z]*,? /i

/**
 * Parses a Retry-After header (RFC 9110 §10.2.3): delta-seconds or an HTTP-date.
 * Returns the wait in milliseconds (never negative), or undefined when absent or malformed.
 */
export function parseRetryAfter(
  header: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  const value = header?.trim()
  if (!value) return undefined
  if (DELTA_SECONDS.test(value)) return Number(value) * 1000
  if (!HTTP_DATE.test(value)) return undefined
  // HTTP dates are always GMT; asctime carries no zone and Date.parse would read it as local time.
  const at = Date.parse(/\b(GMT|UTC)$/i.test(value) ? value : `${value} GMT`)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}
