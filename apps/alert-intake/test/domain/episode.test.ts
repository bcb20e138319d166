import { describe, expect, it } from 'vitest'
import { timeMs } from '../../src/domain/alert.ts'
import { episodeIdFor } from '../../src/domain/episode.ts'

describe('episodeIdFor', () => {
  const fp = '73dbeed5635ea4e4'

  it('is a version 5 UUID', () => {
    expect(episodeIdFor(fp, 1_704_067_200_123)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
  })

  it('is the RFC 9562 UUIDv5 of the documented namespace and name', () => {
    // Expected value from Python: uuid.uuid5(UUID('7c1e2a5e-5f0b-4c3a-9d4e-8b1a6f2c0d93'),
    // '73dbeed5635ea4e4@1704067200123'). A change of namespace or name format would split live
    // episodes, so it must fail here.
    expect(episodeIdFor(fp, 1_704_067_200_123)).toBe('5ebbb07a-39db-5cbf-a2d5-0973c4cb741f')
  })

  it('differs per fingerprint and per start', () => {
    const a = episodeIdFor(fp, 1_704_067_200_123)
    expect(episodeIdFor(fp, 1_704_067_200_124)).not.toBe(a)
    expect(episodeIdFor('59d7a84a7536c84e', 1_704_067_200_123)).not.toBe(a)
  })

  it('is the same for one instant written differently', () => {
    const a = timeMs('2024-01-01T00:00:00.123456789Z')
    const b = timeMs('2024-01-01T02:00:00.123+02:00')
    expect(a).toBe(b)
    expect(episodeIdFor(fp, a as number)).toBe(episodeIdFor(fp, b as number))
  })
})

describe('timeMs', () => {
  it('treats the zero time as unknown', () => {
    expect(timeMs('0001-01-01T00:00:00Z')).toBeNull()
  })
})
