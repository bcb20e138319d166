import { describe, expect, it } from 'vitest'
import { DEFAULT_TTL, ttlForReply, ttlOnIngress } from '../../src/domain/BrokerTtl.ts'

describe('broker TTL', () => {
  it('keeps a valid TTL and defaults a missing or malformed one', () => {
    expect(ttlOnIngress(7)).toBe(7)
    expect(ttlOnIngress('12')).toBe(12)
    expect(ttlOnIngress(undefined)).toBe(DEFAULT_TTL)
    expect(ttlOnIngress('abc')).toBe(DEFAULT_TTL)
    expect(ttlOnIngress(1.5)).toBe(DEFAULT_TTL)
  })
  it('decrements per hop and stops at zero', () => {
    expect(ttlForReply(255)).toBe(254)
    expect(ttlForReply(2)).toBe(1)
    expect(ttlForReply(1)).toBeUndefined()
    expect(ttlForReply(0)).toBeUndefined()
  })
})
