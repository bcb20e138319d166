/**
 * Alert fingerprints exactly as Prometheus computes them (prometheus/common `model.LabelSet.Fingerprint`,
 * i.e. `labelSetToFingerprint`): FNV-1a 64 over the label pairs sorted by name, each name and each
 * value followed by the separator byte 0xFF, printed as 16 lower-case hex digits. The empty set hashes
 * to the FNV offset basis. Alertmanager uses the same value as the alert fingerprint.
 *
 * The 64-bit state is kept as two uint32 halves: BigInt arithmetic is ~20x slower and this runs for
 * every alert on the request path.
 */

export type LabelSet = Readonly<Record<string, string>>

const OFFSET_HI = 0xcbf29ce4
const OFFSET_LO = 0x84222325
const SEPARATOR = 0xff

/** Running FNV-1a 64 state; `hi`/`lo` are the upper/lower 32 bits. */
interface Fnv64 {
  hi: number
  lo: number
}

// h = (h ^ byte) * 0x100000001b3 mod 2^64, with 0x100000001b3 = 2^40 + 0x1b3.
function addByte(h: Fnv64, byte: number): void {
  const lo = (h.lo ^ byte) >>> 0
  const low = lo * 0x1b3 // < 2^41, exact in a double
  const carry = Math.floor(low / 0x1_0000_0000)
  h.hi = (Math.imul(h.hi, 0x1b3) + carry + (lo << 8)) >>> 0
  h.lo = low >>> 0
}

/** Feeds the UTF-8 bytes of `s` (lone surrogates as U+FFFD, as Go and TextEncoder do). */
function addString(h: Fnv64, s: string): void {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i)
    if (c < 0x80) {
      addByte(h, c)
      continue
    }
    if (c < 0x800) {
      addByte(h, 0xc0 | (c >> 6))
      addByte(h, 0x80 | (c & 0x3f))
      continue
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00)
        i++
        addByte(h, 0xf0 | (c >> 18))
        addByte(h, 0x80 | ((c >> 12) & 0x3f))
        addByte(h, 0x80 | ((c >> 6) & 0x3f))
        addByte(h, 0x80 | (c & 0x3f))
        continue
      }
      c = 0xfffd
    }
    addByte(h, 0xe0 | (c >> 12))
    addByte(h, 0x80 | ((c >> 6) & 0x3f))
    addByte(h, 0x80 | (c & 0x3f))
  }
}

/**
 * Orders strings by Unicode code point, which is the byte order of their UTF-8 encoding (Go's string
 * order). JavaScript's default order compares UTF-16 units and differs for astral characters.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // Surrogates (astral code points) sort after U+E000..U+FFFF.
    const xs = x >= 0xd800 && x <= 0xdfff
    const ys = y >= 0xd800 && y <= 0xdfff
    if (xs !== ys && (x >= 0xe000 || y >= 0xe000)) return xs ? 1 : -1
    return x - y
  }
  return a.length - b.length
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0')
}

/** The Prometheus/Alertmanager fingerprint of a label set. */
export function fingerprintOf(labels: LabelSet): string {
  const names = Object.keys(labels).sort(compareCodePoints)
  const h: Fnv64 = { hi: OFFSET_HI, lo: OFFSET_LO }
  for (const name of names) {
    addString(h, name)
    addByte(h, SEPARATOR)
    addString(h, labels[name] as string)
    addByte(h, SEPARATOR)
  }
  return hex8(h.hi) + hex8(h.lo)
}

/** FNV-1a 64 of the UTF-8 bytes of `s`; exported so the test can pin the hash to published vectors. */
export function fnv1a64(s: string): string {
  const h: Fnv64 = { hi: OFFSET_HI, lo: OFFSET_LO }
  addString(h, s)
  return hex8(h.hi) + hex8(h.lo)
}

export type FingerprintCheck =
  | { ok: true; fingerprint: string }
  | { ok: false; computed: string; received: string }

/**
 * Computes the fingerprint and, when the sender supplied one, checks it (case-insensitively: the
 * prometheus-events source may send upper-case hex). A mismatch means the labels were altered on the
 * way, so the caller rejects the alert rather than guess which side is right.
 */
export function checkFingerprint(labels: LabelSet, received: string | undefined): FingerprintCheck {
  const computed = fingerprintOf(labels)
  if (received === undefined || received === '' || received.toLowerCase() === computed) {
    return { ok: true, fingerprint: computed }
  }
  return { ok: false, computed, received }
}
