import { hash as digest } from 'node:crypto'

/**
 * The assignment id is derived from what identifies the assignment (experiment, bucket version,
 * user), so every replica, and every recomputation, names the same assignment with the same id
 * without reading it back. Formatted as an RFC 9562 UUIDv8 (custom, hash-based).
 */
export function assignmentIdFor(experimentId: string, bucketVersion: number, userId: string): string {
  // The one-shot digest costs half of a createHash object per call (one per new assignment).
  const hash = digest('sha256', `${experimentId}\u0000${bucketVersion}\u0000${userId}`, 'hex')
  const variantNibble = ((Number.parseInt(hash[16]!, 16) & 0x3) | 0x8).toString(16)
  return `${hash.slice(0, 8)}-${hash.slice(8, 12)}-8${hash.slice(13, 16)}-${variantNibble}${hash.slice(17, 20)}-${hash.slice(20, 32)}`
}
