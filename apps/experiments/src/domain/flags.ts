// Feature flags: validated and compiled once per config load. Evaluation returns one of a few
// result objects built at compile time, so a hot evaluation allocates nothing.

import {
  type Bucketer,
  cumulativeBounds,
  flagVariantBucketer,
  rolloutBucketer,
  variantIndex,
} from './bucketing.ts'
import { type ConfigIssue, isKey } from './issues.ts'
import { compileRule, type EvaluationContext, matchEveryone, type Predicate, type Rule } from './targeting.ts'
import { checkVariants } from './variants.ts'

export const VALUE_TYPES = ['boolean', 'string', 'number', 'object'] as const
export type ValueType = (typeof VALUE_TYPES)[number]
export type FlagValue = boolean | string | number | { readonly [key: string]: unknown }

export type FlagVariant = { key: string; value: FlagValue; weight: number }
export type FlagConfig = {
  key: string
  description?: string
  enabled: boolean
  valueType: ValueType
  /** Served when the flag is off for the subject: disabled, outside targeting or rollout, or an error. */
  defaultValue: FlagValue
  /** Percentage (integer 0..100) of subjects, by Unleash bucket, that get a variant. */
  rolloutPercentage: number
  variants: FlagVariant[]
  targeting?: Rule | null
}

/** OpenFeature resolution reasons. */
export type Reason = 'STATIC' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED' | 'DEFAULT' | 'ERROR'
/** OpenFeature / OFREP error codes. */
export type ErrorCode =
  | 'FLAG_NOT_FOUND'
  | 'TARGETING_KEY_MISSING'
  | 'INVALID_CONTEXT'
  | 'PARSE_ERROR'
  | 'GENERAL'

export type FlagEvaluation = {
  /** Whether the subject gets a variant (false: the default value is served). */
  readonly enabled: boolean
  readonly value: FlagValue
  readonly variant?: string
  readonly reason: Reason
  readonly errorCode?: ErrorCode
}

export type CompiledFlag = {
  readonly config: FlagConfig
  evaluate(context: EvaluationContext): FlagEvaluation
}

export const MAX_VARIANTS = 100
/** The context attribute holding the subject's stable id (OpenFeature's targeting key). */
export const TARGETING_KEY = 'targetingKey'

/** Validates `input` as a flag; returns the compiled flag, or every problem found. */
export function compileFlag(input: unknown): { flag: CompiledFlag } | { issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = []
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { issues: [{ path: '', message: 'a flag must be an object' }] }
  }
  const f = input as Record<string, unknown>
  if (!isKey(f.key)) issues.push({ path: 'key', message: 'must be 1-100 of A-Z a-z 0-9 . _ - (not first)' })
  if (typeof f.enabled !== 'boolean') issues.push({ path: 'enabled', message: 'must be a boolean' })
  const valueType = f.valueType as ValueType
  if (!VALUE_TYPES.includes(valueType)) {
    issues.push({ path: 'valueType', message: `must be one of ${VALUE_TYPES.join(', ')}` })
  } else if (!hasType(f.defaultValue, valueType)) {
    issues.push({ path: 'defaultValue', message: `must be a ${valueType}` })
  }
  const rollout = f.rolloutPercentage
  if (typeof rollout !== 'number' || !Number.isInteger(rollout) || rollout < 0 || rollout > 100) {
    issues.push({ path: 'rolloutPercentage', message: 'must be an integer from 0 to 100' })
  }
  if (f.description !== undefined && typeof f.description !== 'string') {
    issues.push({ path: 'description', message: 'must be a string' })
  }
  checkVariants(f.variants, MAX_VARIANTS, issues, (v, path) => {
    if (VALUE_TYPES.includes(valueType) && !hasType(v.value, valueType)) {
      issues.push({ path: `${path}.value`, message: `must be a ${valueType}` })
    }
  })
  const targeting =
    f.targeting === undefined || f.targeting === null
      ? matchEveryone
      : compileRule(f.targeting, 'targeting', issues)
  if (issues.length > 0) return { issues }
  const config = input as FlagConfig
  return { flag: buildFlag(config, config.targeting ? targeting : undefined) }
}

function buildFlag(config: FlagConfig, targeting: Predicate | undefined): CompiledFlag {
  const { defaultValue, rolloutPercentage, variants } = config
  const live = variants.filter((v) => v.weight > 0)
  const splitsVariants = live.length > 1
  const needsKey = rolloutPercentage > 0 && (rolloutPercentage < 100 || splitsVariants)
  const matchedReason: Reason = targeting ? 'TARGETING_MATCH' : needsKey ? 'SPLIT' : 'STATIC'
  const served = variants.map((v) =>
    result({ enabled: true, value: v.value, variant: v.key, reason: matchedReason }),
  )
  const disabled = result({ enabled: false, value: defaultValue, reason: 'DISABLED' })
  const fallback = result({ enabled: false, value: defaultValue, reason: 'DEFAULT' })
  const keyMissing = result({
    enabled: false,
    value: defaultValue,
    reason: 'ERROR',
    errorCode: 'TARGETING_KEY_MISSING',
  })
  const bounds = cumulativeBounds(variants.map((v) => v.weight))
  const onlyVariant = served[variants.indexOf(live[0] ?? variants[0]!)]!
  const rolloutBucket: Bucketer = rolloutBucketer(config.key)
  const variantBucket: Bucketer = flagVariantBucketer(config.key)
  const matches = targeting ?? matchEveryone

  let evaluate: (context: EvaluationContext) => FlagEvaluation
  if (!config.enabled) evaluate = () => disabled
  else if (rolloutPercentage === 0) evaluate = () => fallback
  else {
    evaluate = (context) => {
      if (!matches(context)) return fallback
      if (!needsKey) return onlyVariant
      const key = context[TARGETING_KEY]
      if (typeof key !== 'string' || key === '') return keyMissing
      if (rolloutPercentage < 100 && rolloutBucket(key) > rolloutPercentage) return fallback
      return splitsVariants ? served[variantIndex(bounds, variantBucket(key))]! : onlyVariant
    }
  }
  return { config, evaluate }
}

function result(r: FlagEvaluation): FlagEvaluation {
  return Object.freeze(r)
}

export function hasType(value: unknown, type: ValueType): value is FlagValue {
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean'
    case 'string':
      return typeof value === 'string'
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value)
  }
}
