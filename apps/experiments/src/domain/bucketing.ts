// The published bucketing formulas (docs/experiments.md lists them with test vectors). Every hash
// is MurmurHash3 x86_32, seed 0, over the UTF-8 bytes of the string shown:
//
//   rollout bucket (flags, Unleash-compatible "normalised" value, 1..100):
//     murmur3("<groupId>:<userId>") % 100 + 1          groupId = the flag key
//   traffic allocation point (experiments, [0, 1)):
//     murmur3("alloc:<seed>:<bucketVersion>:<userId>") / 2^32
//   variant bucket (experiments, 0..9999):
//     murmur3("variant:<seed>:<bucketVersion>:<userId>") % 10000
//   variant bucket (flags, 0..9999):
//     murmur3("variant:<flagKey>:<userId>") % 10000
//
// Allocation and variant use different strings, so the two hashes are independent: whether a
// user is inside the allocation says nothing about their variant, and widening or narrowing the
// allocation (a threshold on the allocation point) only adds or removes users without moving the
// others between variants. Prefixes are hashed once per config (murmur3Prefix).

import { murmur3Prefix, murmur3Resume } from './murmur3.ts'

export const ROLLOUT_BUCKETS = 100
export const VARIANT_BUCKETS = 10_000
const TWO_POW_32 = 0x1_0000_0000

export type Bucketer = (userId: string) => number

/** Unleash's normalised bucket (1..100) of `userId` in `groupId`. */
export function rolloutBucketer(groupId: string): Bucketer {
  const prefix = murmur3Prefix(`${groupId}:`)
  return (userId) => (murmur3Resume(prefix, userId) % ROLLOUT_BUCKETS) + 1
}

/** The user's allocation point in [0, 1); the user is in a traffic allocation of p% when point < p/100. */
export function allocationPointer(seed: string, bucketVersion: number): Bucketer {
  const prefix = murmur3Prefix(`alloc:${seed}:${bucketVersion}:`)
  return (userId) => murmur3Resume(prefix, userId) / TWO_POW_32
}

/** The user's variant bucket (0..9999) for an experiment. */
export function experimentVariantBucketer(seed: string, bucketVersion: number): Bucketer {
  const prefix = murmur3Prefix(`variant:${seed}:${bucketVersion}:`)
  return (userId) => murmur3Resume(prefix, userId) % VARIANT_BUCKETS
}

/** The user's variant bucket (0..9999) for a flag. */
export function flagVariantBucketer(flagKey: string): Bucketer {
  const prefix = murmur3Prefix(`variant:${flagKey}:`)
  return (userId) => murmur3Resume(prefix, userId) % VARIANT_BUCKETS
}

/**
 * Weights are percentages with at most two decimals that sum to exactly 100; they become
 * cumulative upper bounds in basis points, so variant i owns buckets [bounds[i-1], bounds[i]).
 */
export function cumulativeBounds(weights: readonly number[]): Int32Array {
  const bounds = new Int32Array(weights.length)
  let total = 0
  for (let i = 0; i < weights.length; i++) {
    total += Math.round(weights[i]! * 100)
    bounds[i] = total
  }
  return bounds
}

/** Index of the variant owning `bucket` (0..9999). */
export function variantIndex(bounds: Int32Array, bucket: number): number {
  for (let i = 0; i < bounds.length; i++) if (bucket < bounds[i]!) return i
  return bounds.length - 1
}

/** Whether `weight` is a percentage with at most two decimals. */
export function isWeight(weight: unknown): weight is number {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 100) return false
  return Math.abs(weight * 100 - Math.round(weight * 100)) < 1e-6
}

/** Whether the weights sum to exactly 100 (compared in basis points, free of float error). */
export function weightsSumToWhole(weights: readonly number[]): boolean {
  let total = 0
  for (const w of weights) total += Math.round(w * 100)
  return total === VARIANT_BUCKETS
}
