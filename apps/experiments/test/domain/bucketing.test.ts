import { describe, expect, it } from 'vitest'
import {
  allocationPointer,
  cumulativeBounds,
  experimentVariantBucketer,
  flagVariantBucketer,
  isWeight,
  rolloutBucketer,
  variantIndex,
  weightsSumToWhole,
} from '../../src/domain/bucketing.ts'
import { murmur3 } from '../../src/domain/murmur3.ts'

describe('rolloutBucketer (Unleash normalised value)', () => {
  // Vectors from the Unleash client specification (normalizedValue, seed 0).
  it.each([
    ['gr1', '123', 73],
    ['groupX', '999', 25],
  ])('puts user %s/%s in bucket %i', (group, user, bucket) => {
    expect(rolloutBucketer(group)(user)).toBe(bucket)
  })

  it('spans 1..100', () => {
    const bucket = rolloutBucketer('flag')
    const seen = new Set<number>()
    for (let i = 0; i < 5000; i++) seen.add(bucket(String(i)))
    expect(Math.min(...seen)).toBe(1)
    expect(Math.max(...seen)).toBe(100)
    expect(seen.size).toBe(100)
  })
})

describe('experiment hashes', () => {
  it('follow the published formulas', () => {
    expect(allocationPointer('checkout', 2)('user-1')).toBe(murmur3('alloc:checkout:2:user-1') / 2 ** 32)
    expect(experimentVariantBucketer('checkout', 2)('user-1')).toBe(
      murmur3('variant:checkout:2:user-1') % 10000,
    )
    expect(flagVariantBucketer('new-nav')('user-1')).toBe(murmur3('variant:new-nav:user-1') % 10000)
  })

  // Computed independently (Python transcription of the C reference) and published in docs/experiments.md.
  it('match the vectors published in docs/experiments.md', () => {
    expect(allocationPointer('checkout', 1)('user-1')).toBeCloseTo(0.085_280_937_6, 9)
    expect(experimentVariantBucketer('checkout', 1)('user-1')).toBe(582)
    expect(flagVariantBucketer('new-nav')('user-1')).toBe(1568)
  })
})

describe('weights', () => {
  it('accepts percentages with at most two decimals', () => {
    expect(isWeight(33.33)).toBe(true)
    expect(isWeight(0)).toBe(true)
    expect(isWeight(100)).toBe(true)
    expect(isWeight(33.333)).toBe(false)
    expect(isWeight(-1)).toBe(false)
    expect(isWeight(100.01)).toBe(false)
    expect(isWeight('50')).toBe(false)
  })

  it('checks the sum in basis points, free of float error', () => {
    expect(weightsSumToWhole([33.33, 33.33, 33.34])).toBe(true)
    expect(weightsSumToWhole([0.1, 0.2, 99.7])).toBe(true)
    expect(weightsSumToWhole([50, 49.99])).toBe(false)
  })

  it('maps buckets to variants by cumulative bounds, skipping zero weights', () => {
    const bounds = cumulativeBounds([25, 0, 75])
    expect(Array.from(bounds)).toEqual([2500, 2500, 10000])
    expect(variantIndex(bounds, 0)).toBe(0)
    expect(variantIndex(bounds, 2499)).toBe(0)
    expect(variantIndex(bounds, 2500)).toBe(2)
    expect(variantIndex(bounds, 9999)).toBe(2)
  })
})
