import { describe, expect, it } from 'vitest'
import { murmur3, murmur3Bytes, murmur3Prefix, murmur3Resume } from '../../src/domain/murmur3.ts'

// Vectors from the reference MurmurHash3_x86_32 (smhasher), cross-checked with an independent
// transcription of the C reference before being written down here.
const VECTORS: [string, number, number][] = [
  ['', 0, 0x00000000],
  ['', 1, 0x514e28b7],
  ['', 0xffffffff, 0x81f16f39],
  ['hello', 0, 0x248bfa47],
  ['hello', 1, 0xbb4abcad],
  ['abc', 0, 0xb3dd93fa],
  ['abcd', 0, 0x43ed676a],
  ['abcde', 42, 0xaeda2bf0],
  ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ['héllo wörld ✓ 😀', 0, 0x7ebd655c],
]

describe('murmur3', () => {
  it.each(VECTORS)('hashes %j with seed %i to the reference value', (text, seed, expected) => {
    expect(murmur3(text, seed)).toBe(expected)
  })

  it('hashes the UTF-8 bytes exactly as TextEncoder encodes them, including lone surrogates', () => {
    const encoder = new TextEncoder()
    for (const text of ['ä', '€uro', '𝄞 clef', 'a\ud800b', '\udc00', 'x\ud83d', 'ß'.repeat(37)]) {
      expect(murmur3(text, 7)).toBe(murmur3Bytes(encoder.encode(text), 7))
    }
  })

  it('resumes from a prefix state exactly as hashing the concatenation', () => {
    for (const prefix of ['', 'a', 'ab', 'abc', 'abcd', 'variant:exp-1:3:', 'é']) {
      const state = murmur3Prefix(prefix, 9)
      for (const suffix of ['', 'u', 'user-42', '😀x']) {
        expect(murmur3Resume(state, suffix)).toBe(murmur3(prefix + suffix, 9))
      }
    }
  })

  it('returns unsigned 32-bit integers', () => {
    for (let i = 0; i < 1000; i++) {
      const h = murmur3(`user-${i}`)
      expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true)
    }
  })
})
