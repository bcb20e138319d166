import { describe, expect, it } from 'vitest'
import { admitEpisode, type StormConfig, type StormWindow, summarise } from '../../src/domain/storm.ts'

const config: StormConfig = { maxPerWindow: 3, windowMs: 60_000, maxListedFingerprints: 2 }

function admitAll(fps: string[], at: (i: number) => number, start: StormWindow | null = null) {
  let window = start
  const decisions = fps.map((fp, i) => {
    const d = admitEpisode(window, fp, fp.startsWith('db') ? 'DbDown' : 'ApiDown', at(i), config)
    window = d.window
    return d
  })
  return { window: window as StormWindow | null, decisions }
}

describe('storm guard', () => {
  it('publishes up to the limit and counts the rest', () => {
    const { window, decisions } = admitAll(['api1', 'api2', 'api3', 'db1', 'db2', 'api4'], (i) => i * 1_000)
    expect(decisions.map((d) => d.publish)).toEqual([true, true, true, false, false, false])
    expect(window).toEqual({
      windowStart: 0,
      published: 3,
      suppressed: 3,
      fingerprints: ['db1', 'db2'],
      alertnames: { DbDown: 2, ApiDown: 1 },
    })
  })

  it('summarises a closed window once, with exact count and truncation flag', () => {
    const { window } = admitAll(['a', 'b', 'c', 'd', 'e', 'f'], (i) => i)
    const next = admitEpisode(window, 'g', 'X', 60_000, config)
    expect(next.publish).toBe(true)
    expect(next.closed).toBe(window)
    expect(next.window).toMatchObject({ windowStart: 60_000, published: 1, suppressed: 0 })
    expect(summarise(window as StormWindow, config)).toEqual({
      count: 6,
      threshold: 3,
      windowMs: 60_000,
      windowStart: '1970-01-01T00:00:00.000Z',
      windowEnd: '1970-01-01T00:01:00.000Z',
      fingerprints: ['d', 'e'],
      fingerprintsTruncated: true,
      alertnames: { ApiDown: 3 },
    })
  })

  it('has nothing to summarise when nothing was suppressed', () => {
    const { window } = admitAll(['a', 'b'], (i) => i)
    expect(summarise(window as StormWindow, config)).toBeNull()
  })

  it('lists a re-suppressed fingerprint once', () => {
    const { window } = admitAll(['a', 'b', 'c', 'd', 'd'], (i) => i)
    expect(window?.fingerprints).toEqual(['d'])
    expect(window?.suppressed).toBe(2)
  })
})
