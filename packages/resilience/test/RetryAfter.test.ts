import { describe, expect, it } from 'vitest'
import { parseRetryAfter } from '../src/index.ts'

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-11-25T20:00:00Z')

  it('reads delta-seconds as milliseconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0)
    expect(parseRetryAfter('120', now)).toBe(120_000)
    expect(parseRetryAfter(' 7 ', now)).toBe(7000)
  })

  it('reads an IMF-fixdate relative to now', () => {
    expect(parseRetryAfter('Tue, 25 Nov 2025 20:00:30 GMT', now)).toBe(30_000)
  })

  it('reads the obsolete RFC 850 and asctime forms', () => {
    expect(parseRetryAfter('Tuesday, 25-Nov-25 20:01:00 GMT', now)).toBe(60_000)
    expect(parseRetryAfter('Tue Nov 25 20:00:05 2025', now)).toBe(5000)
  })

  it('reads a zoneless asctime date as GMT, not local time', () => {
    const zone = process.env.TZ
    process.env.TZ = 'America/New_York'
    try {
      expect(parseRetryAfter('Tue Nov 25 20:00:05 2025', now)).toBe(5000)
    } finally {
      if (zone === undefined) delete process.env.TZ
      else process.env.TZ = zone
    }
  })

  it('never returns a negative wait for a date in the past', () => {
    expect(parseRetryAfter('Tue, 25 Nov 2025 19:59:00 GMT', now)).toBe(0)
  })

  it.each([null, undefined, '', '   ', '-5', '1.5', 'soon', '2025-11-25T20:00:30Z', 'Tue, 99 Foo 2025'])(
    'returns undefined for %j',
    (header) => {
      expect(parseRetryAfter(header, now)).toBeUndefined()
    },
  )

  it('defaults now to the current clock', () => {
    const inTenSeconds = new Date(Date.now() + 10_500).toUTCString()
    const wait = parseRetryAfter(inTenSeconds)
    expect(wait).toBeGreaterThan(9000)
    expect(wait).toBeLessThanOrEqual(10_500)
  })
})
