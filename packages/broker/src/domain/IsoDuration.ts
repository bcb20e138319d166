/** Thrown for a duration string that is not an ISO-8601 duration we can turn into milliseconds. */
export class InvalidDurationError extends Error {
  override readonly name = 'InvalidDurationError'
}

// Weeks, days and clock units only: years and months have no fixed length, so a delivery
// timeout written with them would mean different things on different days.
const DURATION =
  /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/

const UNIT_MS = [7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000] as const

/** Parses an ISO-8601 duration such as `PT0.2S`, `PT10S`, `P1DT2H` into milliseconds. */
export function parseIsoDuration(text: string): number {
  const match = DURATION.exec(text.trim().toUpperCase())
  const parts = match?.slice(1) ?? []
  if (!match || parts.every((part) => part === undefined) || text.trim().toUpperCase().endsWith('T')) {
    throw new InvalidDurationError(
      `"${text}" is not an ISO-8601 duration (expected e.g. PT0.2S, PT10S, P1DT2H; years and months are not supported)`,
    )
  }
  let ms = 0
  parts.forEach((part, index) => {
    if (part !== undefined) ms += Number(part) * UNIT_MS[index]!
  })
  return Math.round(ms)
}
