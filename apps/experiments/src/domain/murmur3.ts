// MurmurHash3 x86_32 (Austin Appleby's reference, public domain) over the UTF-8 bytes of a string.
// The string is encoded on the fly, byte by byte, so hashing allocates nothing. A hash can also be
// resumed from a precomputed prefix state: bucketing hashes "<prefix><userId>" with a prefix fixed
// at config load, so only the user id is hashed per request and no string is concatenated.

const C1 = 0xcc9e2d51
const C2 = 0x1b873593

/** The hash state after some bytes: running hash, pending partial block, its size, total length. */
export type Murmur3State = {
  readonly h: number
  readonly k: number
  readonly filled: number
  readonly length: number
}

// Module-level scratch state: JavaScript is single-threaded and the functions below never yield,
// so these act as registers without allocating a state object per call.
let h1 = 0
let k1 = 0
let filled = 0
let length = 0

function pushByte(byte: number): void {
  k1 |= byte << (filled << 3)
  length++
  if (++filled === 4) {
    let k = Math.imul(k1, C1)
    k = (k << 15) | (k >>> 17)
    h1 ^= Math.imul(k, C2)
    h1 = (h1 << 13) | (h1 >>> 19)
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0
    k1 = 0
    filled = 0
  }
}

function pushString(text: string): void {
  const n = text.length
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i)
    if (c < 0x80) {
      pushByte(c)
    } else if (c < 0x800) {
      pushByte(0xc0 | (c >> 6))
      pushByte(0x80 | (c & 0x3f))
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00)
        i++
        pushByte(0xf0 | (c >> 18))
        pushByte(0x80 | ((c >> 12) & 0x3f))
        pushByte(0x80 | ((c >> 6) & 0x3f))
        pushByte(0x80 | (c & 0x3f))
      } else {
        // A lone surrogate encodes as U+FFFD, exactly as TextEncoder does.
        pushByte(0xef)
        pushByte(0xbf)
        pushByte(0xbd)
      }
    } else {
      pushByte(0xe0 | (c >> 12))
      pushByte(0x80 | ((c >> 6) & 0x3f))
      pushByte(0x80 | (c & 0x3f))
    }
  }
}

function finish(): number {
  let h = h1
  if (filled > 0) {
    let k = Math.imul(k1, C1)
    k = (k << 15) | (k >>> 17)
    h ^= Math.imul(k, C2)
  }
  h ^= length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** MurmurHash3 x86_32 of the UTF-8 encoding of `text`, as an unsigned 32-bit integer. */
export function murmur3(text: string, seed = 0): number {
  h1 = seed | 0
  k1 = 0
  filled = 0
  length = 0
  pushString(text)
  return finish()
}

/** MurmurHash3 x86_32 of raw bytes (the reference form; `murmur3` equals this over UTF-8 bytes). */
export function murmur3Bytes(bytes: Uint8Array, seed = 0): number {
  h1 = seed | 0
  k1 = 0
  filled = 0
  length = 0
  for (let i = 0; i < bytes.length; i++) pushByte(bytes[i]!)
  return finish()
}

/** The state after hashing `prefix`, to be resumed by `murmur3Resume` (computed once per config). */
export function murmur3Prefix(prefix: string, seed = 0): Murmur3State {
  h1 = seed | 0
  k1 = 0
  filled = 0
  length = 0
  pushString(prefix)
  return { h: h1, k: k1, filled, length }
}

/** `murmur3(prefix + suffix, seed)` where `state = murmur3Prefix(prefix, seed)`. */
export function murmur3Resume(state: Murmur3State, suffix: string): number {
  h1 = state.h
  k1 = state.k
  filled = state.filled
  length = state.length
  pushString(suffix)
  return finish()
}
