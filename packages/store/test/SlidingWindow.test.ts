import { describe, expect, it } from 'vitest'
import { assertRateLimit, describeWindow, hitWindow, type WindowState } from '../src/SlidingWindow.ts'

/** Replays requests at the given times; returns the state and what each request saw. */
const replay = (times: number[], limit: number, windowMs: number) => {
  let state: WindowState | undefined
  return times.map((now) => {
    const hit = hitWindow(state, now, limit, windowMs)
    state = hit.state
    return { state, ...describeWindow(hit, limit, windowMs) }
  })
}

describe('sliding window rate limit', () => {
  it('weights the previous window by its remaining overlap', () => {
    // 10 requests fill window 0; halfway through window 1 they still weigh 5.
    const full = Array.from({ length: 10 }, (_, i) => i * 10)
    const halfway = Array.from({ length: 6 }, () => 1500)
    const seen = replay([...full, ...halfway], 10, 1000)
    expect(seen.slice(0, 10).every((s) => s.allowed)).toBe(true)
    expect(seen.slice(10).map((s) => s.allowed)).toEqual([true, true, true, true, true, false])
    expect(seen.at(-1)!.state).toEqual({ index: 1, previous: 10, current: 5 })
  })

  it('does not count denied requests', () => {
    const seen = replay([0, 1, 2, 3, 4], 2, 1000)
    expect(seen.map((s) => s.allowed)).toEqual([true, true, false, false, false])
    expect(seen.at(-1)!.state.current).toBe(2)
  })

  it('forgets everything after two windows', () => {
    const seen = replay([0, 1, 2, 2000], 2, 1000)
    expect(seen.at(-1)).toMatchObject({ allowed: true, remaining: 1, state: { previous: 0, current: 1 } })
  })

  it('retryAfterMs is exactly the wait until the next request is allowed', () => {
    const scenarios = [
      { limit: 3, windowMs: 1000, times: [0, 0, 0, 0] },
      { limit: 3, windowMs: 1000, times: [990, 995, 999, 1000] },
      { limit: 10, windowMs: 1000, times: [...Array.from({ length: 10 }, () => 100), 1200, 1201, 1202] },
      { limit: 5, windowMs: 60_000, times: [1, 2, 3, 60_001, 60_002, 61_000, 61_001] },
      { limit: 1, windowMs: 250, times: [10, 20] },
    ]
    for (const { limit, windowMs, times } of scenarios) {
      const seen = replay(times, limit, windowMs)
      const last = seen.at(-1)!
      const now = times.at(-1)!
      expect(last.allowed, JSON.stringify({ limit, times })).toBe(false)
      const probe = (at: number) => hitWindow(last.state, at, limit, windowMs).allowed
      expect(probe(now + last.retryAfterMs - 1), JSON.stringify({ limit, times })).toBe(false)
      expect(probe(now + last.retryAfterMs), JSON.stringify({ limit, times })).toBe(true)
    }
  })

  it('rejects limits and windows that are not positive integers', () => {
    expect(() => assertRateLimit(0, 1000)).toThrow(RangeError)
    expect(() => assertRateLimit(5, 0.5)).toThrow(RangeError)
  })
})
