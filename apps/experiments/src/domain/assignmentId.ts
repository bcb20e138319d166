import { hash as digest } from 'node:crypto'

/**
 * What identifies an assignment (experiment id, bucket version, user), as one string: the key of
 * the sticky cache and of pending writes, shared by both so that a new user adds one key string
 * to the heap, not two. Experiment ids are UUIDs and versions integers, so the first two NULs
 * delimit them even when the user id holds one.
 */
export function assignmentKey(experimentId: string, bucketVersion: number, userId: string): string {
  return `${experimentId}\u0000${bucketVersion}\u0000${userId}`
}

/** The parts of an `assignmentKey`. */
export function assignmentKeyParts(
  key: string,
): [experimentId: string, bucketVersion: number, userId: string] {
  const first = key.indexOf('\u0000')
  const second = key.indexOf('\u0000', first + 1)
  return [key.slice(0, first), Number(key.slice(first + 1, second)), key.slice(second + 1)]
}

/**
 * Whether Postgres can store the key's user id: `text` cannot hold a NUL character, and one such
 * row would fail every batch it is written or read in.
 */
export function storableKey(key: string): boolean {
  const second = key.indexOf('\u0000', key.indexOf('\u0000') + 1)
  return key.indexOf('\u0000', second + 1) === -1
}

// One reused buffer: the id is written into it and decoded once, so it is one flat 36-character
// string (slicing and joining the digest left a tree of ~17 small strings per new user).
const formatted = Buffer.alloc(36)
const DASH = 0x2d
// Where each of the 32 hex digits goes, skipping the dashes at 8, 13, 18 and 23.
const DIGIT_AT = Array.from(
  { length: 32 },
  (_, i) => i + (i >= 8 ? 1 : 0) + (i >= 12 ? 1 : 0) + (i >= 16 ? 1 : 0) + (i >= 20 ? 1 : 0),
)
const VARIANT_DIGITS = '89ab'

/**
 * The assignment id is derived from the assignment's key, so every replica, and every
 * recomputation, names the same assignment with the same id without reading it back. Formatted
 * as an RFC 9562 UUIDv8 (custom, hash-based): digits 0–31 of the SHA-256, version nibble 8,
 * variant bits 10.
 */
export function assignmentIdFor(key: string): string {
  // The one-shot digest costs half of a createHash object per call (one per new assignment).
  const hash = digest('sha256', key, 'hex')
  for (let i = 0; i < 32; i++) formatted[DIGIT_AT[i]!] = hash.charCodeAt(i)
  formatted[8] = formatted[13] = formatted[18] = formatted[23] = DASH
  formatted[14] = 0x38 // '8'
  formatted[19] = VARIANT_DIGITS.charCodeAt(Number.parseInt(hash[16]!, 16) & 0x3)
  return formatted.toString('latin1', 0, 36)
}
