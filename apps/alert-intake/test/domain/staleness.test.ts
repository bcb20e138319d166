import { describe, expect, it } from 'vitest'
import { isStale, staleSince } from '../../src/domain/staleness.ts'

describe('staleness', () => {
  const endsAt = '2024-01-01T00:05:00Z'
  const end = Date.parse(endsAt)

  it('resolves a firing alert once endsAt plus grace has passed', () => {
    expect(isStale('firing', endsAt, end + 29_999, 30_000)).toBe(false)
    expect(isStale('firing', endsAt, end + 30_000, 30_000)).toBe(true)
    expect(staleSince('firing', endsAt, 30_000)).toBe(end + 30_000)
  })

  it('never marks the zero time or a resolved alert stale', () => {
    expect(isStale('firing', '0001-01-01T00:00:00Z', Date.parse('2100-01-01T00:00:00Z'), 0)).toBe(false)
    expect(isStale('resolved', endsAt, end + 1e9, 0)).toBe(false)
  })
})
