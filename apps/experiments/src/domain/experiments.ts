// Experiments: validated and compiled once per config load. Assignment is a pure function of the
// config and the user; stickiness (returning a persisted first assignment) is the service's job.

import {
  allocationPointer,
  cumulativeBounds,
  experimentVariantBucketer,
  isWeight,
  variantIndex,
} from './bucketing.ts'
import { type ConfigIssue, isKey } from './issues.ts'
import { compileRule, type EvaluationContext, matchEveryone, type Rule } from './targeting.ts'
import { checkVariants } from './variants.ts'

export const EXPERIMENT_STATUSES = ['DRAFT', 'ACTIVE', 'PAUSED', 'COMPLETED'] as const
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number]

export type ExperimentVariant = { key: string; weight: number }
export type ExperimentConfig = {
  key: string
  description?: string
  status: ExperimentStatus
  variants: ExperimentVariant[]
  /** Percentage (0..100, two decimals) of eligible users who enter the experiment. */
  trafficAllocation: number
  targeting?: Rule | null
  /** Hashing seed; changing it (like raising the bucket version) reshuffles everyone. */
  seed: string
  /** Raising it starts a fresh assignment: new buckets, and persisted assignments are ignored. */
  bucketVersion: number
}

/** Why a user got no variant. */
export type NoVariantReason =
  | 'EXPERIMENT_DRAFT'
  | 'EXPERIMENT_PAUSED'
  | 'EXPERIMENT_COMPLETED'
  | 'NOT_TARGETED'
  | 'NOT_IN_TRAFFIC'

export type Assignment =
  | { readonly variant: string; readonly reason: 'ASSIGNED' }
  | { readonly variant: null; readonly reason: NoVariantReason }

export type CompiledExperiment = {
  readonly config: ExperimentConfig
  /** The reason no user can be assigned now (status), or undefined when the experiment is ACTIVE. */
  readonly closedReason: NoVariantReason | undefined
  assign(userId: string, context: EvaluationContext): Assignment
  /** The variant key when it still exists in the config (a persisted assignment may be stale). */
  hasVariant(key: string): boolean
  /** The user's variant bucket (0..9999), reported in exposure events. */
  bucketOf(userId: string): number
}

export const MAX_EXPERIMENT_VARIANTS = 20
const SEED_PATTERN = /^[\x21-\x7e]{1,100}$/

const CLOSED: Record<ExperimentStatus, NoVariantReason | undefined> = {
  DRAFT: 'EXPERIMENT_DRAFT',
  ACTIVE: undefined,
  PAUSED: 'EXPERIMENT_PAUSED',
  COMPLETED: 'EXPERIMENT_COMPLETED',
}

export function compileExperiment(
  input: unknown,
): { experiment: CompiledExperiment } | { issues: ConfigIssue[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { issues: [{ path: '', message: 'an experiment must be an object' }] }
  }
  const e = input as Record<string, unknown>
  const issues: ConfigIssue[] = []
  if (!isKey(e.key)) issues.push({ path: 'key', message: 'must be 1-100 of A-Z a-z 0-9 . _ - (not first)' })
  if (!EXPERIMENT_STATUSES.includes(e.status as ExperimentStatus)) {
    issues.push({ path: 'status', message: `must be one of ${EXPERIMENT_STATUSES.join(', ')}` })
  }
  if (!isWeight(e.trafficAllocation)) {
    issues.push({
      path: 'trafficAllocation',
      message: 'must be a percentage (0-100) with at most two decimals',
    })
  }
  if (typeof e.seed !== 'string' || !SEED_PATTERN.test(e.seed)) {
    issues.push({ path: 'seed', message: 'must be 1-100 printable ASCII characters without spaces' })
  }
  const version = e.bucketVersion
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    issues.push({ path: 'bucketVersion', message: 'must be a positive integer' })
  }
  if (e.description !== undefined && typeof e.description !== 'string') {
    issues.push({ path: 'description', message: 'must be a string' })
  }
  checkVariants(e.variants, MAX_EXPERIMENT_VARIANTS, issues)
  const hasTargeting = e.targeting !== undefined && e.targeting !== null
  const targeting = hasTargeting ? compileRule(e.targeting, 'targeting', issues) : matchEveryone
  if (issues.length > 0) return { issues }

  const config = input as ExperimentConfig
  const inTraffic = allocationPointer(config.seed, config.bucketVersion)
  const variantBucket = experimentVariantBucketer(config.seed, config.bucketVersion)
  const bounds = cumulativeBounds(config.variants.map((v) => v.weight))
  const assigned: Assignment[] = config.variants.map((v) =>
    Object.freeze({ variant: v.key, reason: 'ASSIGNED' }),
  )
  const closedReason = CLOSED[config.status]
  const closed = closedReason ? Object.freeze({ variant: null, reason: closedReason }) : undefined
  const notTargeted: Assignment = Object.freeze({ variant: null, reason: 'NOT_TARGETED' })
  const notInTraffic: Assignment = Object.freeze({ variant: null, reason: 'NOT_IN_TRAFFIC' })
  const threshold = config.trafficAllocation / 100
  const keys = new Set(config.variants.map((v) => v.key))

  const assign = (userId: string, context: EvaluationContext): Assignment => {
    if (closed) return closed
    if (!targeting(context)) return notTargeted
    if (threshold < 1 && inTraffic(userId) >= threshold) return notInTraffic
    return assigned[variantIndex(bounds, variantBucket(userId))]!
  }
  return {
    experiment: { config, closedReason, assign, hasVariant: (key) => keys.has(key), bucketOf: variantBucket },
  }
}

/**
 * Whether a change can make a persisted assignment differ from what the hash now gives: anything
 * that moves users (variants, weights, allocation, targeting, seed) within one bucket version.
 */
export function assignmentRulesChanged(before: ExperimentConfig, after: ExperimentConfig): boolean {
  return (
    before.seed !== after.seed ||
    before.trafficAllocation !== after.trafficAllocation ||
    JSON.stringify(before.variants) !== JSON.stringify(after.variants) ||
    JSON.stringify(before.targeting ?? null) !== JSON.stringify(after.targeting ?? null)
  )
}

/**
 * Whether assignment must read persisted assignments after a change. A new bucket version starts
 * clean (no assignment of it can predate its rules); otherwise once rules changed, always.
 */
export function stickyReadsAfter(
  before: ExperimentConfig,
  after: ExperimentConfig,
  previously: boolean,
): boolean {
  if (after.bucketVersion !== before.bucketVersion) return false
  return previously || assignmentRulesChanged(before, after)
}
