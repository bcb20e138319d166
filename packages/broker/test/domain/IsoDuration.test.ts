import { describe, expect, it } from 'vitest'
import { InvalidDurationError, parseIsoDuration } from '../../src/domain/IsoDuration.ts'

describe('parseIsoDuration', () => {
  it.each([
    ['PT0.2S', 200],
    ['PT10S', 10_000],
    ['PT1M30S', 90_000],
    ['PT2H', 7_200_000],
    ['P1D', 86_400_000],
    ['P1DT1H', 90_000_000],
    ['P1W', 604_800_000],
    ['pt0.05s', 50],
  ])('%s → %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms)
  })

  it.each(['', 'P', 'PT', '10s', 'P1Y', 'P1M', 'PT-1S', 'P1DT', '1S'])('rejects %j', (text) => {
    expect(() => parseIsoDuration(text)).toThrow(InvalidDurationError)
  })
})
