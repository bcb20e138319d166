// Targeting rules: a JSON tree of all / any / not groups over attribute conditions. Rules are
// validated and compiled to closures once, when the config loads; evaluating a compiled rule
// allocates nothing (beyond semver parsing of the attribute) and never throws. A missing or
// wrongly typed attribute makes its condition false (so `not` of it is true).

import { linearRegExp } from '@agent-sre/service-kit'
import type { ConfigIssue } from './issues.ts'
import { MAX_REGEX_INPUT_LENGTH, unsafeRegexReason } from './safeRegex.ts'
import { compareSemver, parseSemver } from './semver.ts'

export type EvaluationContext = Readonly<Record<string, unknown>>
export type Predicate = (context: EvaluationContext) => boolean

export const OPERATORS = [
  'eq',
  'neq',
  'in',
  'not_in',
  'contains',
  'starts_with',
  'ends_with',
  'regex',
  'lt',
  'lte',
  'gt',
  'gte',
  'semver_eq',
  'semver_lt',
  'semver_lte',
  'semver_gt',
  'semver_gte',
  'before',
  'after',
] as const
export type Operator = (typeof OPERATORS)[number]

export type Primitive = string | number | boolean
export type Condition = { attribute: string; op: Operator; value: Primitive | readonly Primitive[] }
export type Rule = { all: readonly Rule[] } | { any: readonly Rule[] } | { not: Rule } | Condition

export const MAX_RULE_DEPTH = 8
export const MAX_CONDITIONS = 200
export const MAX_LIST_VALUES = 10_000
const ATTRIBUTE = /^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$/

/** The predicate of an absent rule: everyone matches. */
export const matchEveryone: Predicate = () => true
const never: Predicate = () => false

/**
 * Validates `input` as a rule and compiles it. Problems are appended to `issues` (with a JSON path);
 * the returned predicate is only meaningful when no issue was added.
 */
export function compileRule(input: unknown, path: string, issues: ConfigIssue[]): Predicate {
  const counter = { conditions: 0 }
  return compileNode(input, path, issues, 0, counter)
}

function compileNode(
  input: unknown,
  path: string,
  issues: ConfigIssue[],
  depth: number,
  counter: { conditions: number },
): Predicate {
  if (depth > MAX_RULE_DEPTH) return fail(issues, path, `rules nest deeper than ${MAX_RULE_DEPTH} levels`)
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail(issues, path, 'a rule must be an object')
  }
  const node = input as Record<string, unknown>
  const keys = Object.keys(node)
  if ('all' in node || 'any' in node) {
    const kind = 'all' in node ? 'all' : 'any'
    if (keys.length !== 1) return fail(issues, path, `a "${kind}" group takes no other keys`)
    const children = node[kind]
    if (!Array.isArray(children) || children.length === 0) {
      return fail(issues, `${path}.${kind}`, 'must be a non-empty array of rules')
    }
    const compiled = children.map((child, i) =>
      compileNode(child, `${path}.${kind}[${i}]`, issues, depth + 1, counter),
    )
    return kind === 'all' ? allOf(compiled) : anyOf(compiled)
  }
  if ('not' in node) {
    if (keys.length !== 1) return fail(issues, path, 'a "not" group takes no other keys')
    const inner = compileNode(node.not, `${path}.not`, issues, depth + 1, counter)
    return (context) => !inner(context)
  }
  if (++counter.conditions > MAX_CONDITIONS) {
    return fail(issues, path, `more than ${MAX_CONDITIONS} conditions`)
  }
  return compileCondition(node, path, issues)
}

function compileCondition(node: Record<string, unknown>, path: string, issues: ConfigIssue[]): Predicate {
  const extra = Object.keys(node).filter((k) => k !== 'attribute' && k !== 'op' && k !== 'value')
  if (extra.length > 0) return fail(issues, path, `unknown keys: ${extra.join(', ')}`)
  const { attribute, op, value } = node
  if (typeof attribute !== 'string' || !ATTRIBUTE.test(attribute)) {
    return fail(issues, `${path}.attribute`, `must match ${ATTRIBUTE.source}`)
  }
  if (typeof op !== 'string' || !(OPERATORS as readonly string[]).includes(op)) {
    return fail(issues, `${path}.op`, `must be one of ${OPERATORS.join(', ')}`)
  }
  const at = `${path}.value`
  const a = attribute
  const operator = op as Operator
  switch (operator) {
    case 'eq':
    case 'neq': {
      if (!isPrimitive(value)) return fail(issues, at, 'must be a string, number or boolean')
      // Both are false on a missing attribute: a rule never matches on data it was not given.
      if (op === 'eq') return (c) => c[a] === value
      return (c) => {
        const v = c[a]
        return isPrimitive(v) && v !== value
      }
    }
    case 'in':
    case 'not_in': {
      if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LIST_VALUES) {
        return fail(issues, at, `must be an array of 1 to ${MAX_LIST_VALUES} values`)
      }
      if (!value.every(isPrimitive)) return fail(issues, at, 'values must be strings, numbers or booleans')
      const set = new Set<unknown>(value)
      if (op === 'in') return (c) => set.has(c[a])
      return (c) => {
        const v = c[a]
        return isPrimitive(v) && !set.has(v)
      }
    }
    case 'contains':
    case 'starts_with':
    case 'ends_with': {
      if (typeof value !== 'string') return fail(issues, at, 'must be a string')
      if (op === 'starts_with') return (c) => typeof c[a] === 'string' && (c[a] as string).startsWith(value)
      if (op === 'ends_with') return (c) => typeof c[a] === 'string' && (c[a] as string).endsWith(value)
      // `contains` also tests membership when the attribute is a list (e.g. groups, tags).
      return (c) => {
        const v = c[a]
        if (typeof v === 'string') return v.includes(value)
        return Array.isArray(v) && v.includes(value)
      }
    }
    case 'regex': {
      if (typeof value !== 'string') return fail(issues, at, 'must be a string')
      const reason = unsafeRegexReason(value)
      if (reason) return fail(issues, at, reason)
      let re: RegExp
      try {
        re = linearRegExp(value)
      } catch {
        return fail(issues, at, 'cannot run in linear time (no lookarounds or \\p{…} classes)')
      }
      return (c) => {
        const v = c[a]
        return typeof v === 'string' && v.length <= MAX_REGEX_INPUT_LENGTH && re.test(v)
      }
    }
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      if (typeof value !== 'number' || !Number.isFinite(value))
        return fail(issues, at, 'must be a finite number')
      const compare = numericComparison(operator, value)
      return (c) => {
        const n = toNumber(c[a])
        return !Number.isNaN(n) && compare(n)
      }
    }
    case 'semver_eq':
    case 'semver_lt':
    case 'semver_lte':
    case 'semver_gt':
    case 'semver_gte': {
      const target = typeof value === 'string' ? parseSemver(value) : undefined
      if (!target) return fail(issues, at, 'must be a semantic version such as 1.2.3')
      const accept = signTest(operator)
      return (c) => {
        const v = c[a]
        if (typeof v !== 'string') return false
        const parsed = parseSemver(v)
        return parsed !== undefined && accept(compareSemver(parsed, target))
      }
    }
    case 'before':
    case 'after': {
      const t = typeof value === 'string' ? Date.parse(value) : Number.NaN
      if (Number.isNaN(t)) return fail(issues, at, 'must be an ISO-8601 date-time')
      return op === 'before'
        ? (c) => {
            const v = toTime(c[a])
            return !Number.isNaN(v) && v < t
          }
        : (c) => {
            const v = toTime(c[a])
            return !Number.isNaN(v) && v > t
          }
    }
  }
}

function allOf(predicates: Predicate[]): Predicate {
  if (predicates.length === 1) return predicates[0]!
  if (predicates.length === 2) {
    const [p, q] = predicates as [Predicate, Predicate]
    return (c) => p(c) && q(c)
  }
  return (c) => {
    for (let i = 0; i < predicates.length; i++) if (!predicates[i]!(c)) return false
    return true
  }
}

function anyOf(predicates: Predicate[]): Predicate {
  if (predicates.length === 1) return predicates[0]!
  if (predicates.length === 2) {
    const [p, q] = predicates as [Predicate, Predicate]
    return (c) => p(c) || q(c)
  }
  return (c) => {
    for (let i = 0; i < predicates.length; i++) if (predicates[i]!(c)) return true
    return false
  }
}

function numericComparison(op: 'lt' | 'lte' | 'gt' | 'gte', value: number): (n: number) => boolean {
  switch (op) {
    case 'lt':
      return (n) => n < value
    case 'lte':
      return (n) => n <= value
    case 'gt':
      return (n) => n > value
    case 'gte':
      return (n) => n >= value
  }
}

function signTest(
  op: 'semver_eq' | 'semver_lt' | 'semver_lte' | 'semver_gt' | 'semver_gte',
): (d: number) => boolean {
  switch (op) {
    case 'semver_eq':
      return (d) => d === 0
    case 'semver_lt':
      return (d) => d < 0
    case 'semver_lte':
      return (d) => d <= 0
    case 'semver_gt':
      return (d) => d > 0
    case 'semver_gte':
      return (d) => d >= 0
  }
}

/** Numbers, and numeric strings (context values often arrive as strings); NaN otherwise. */
function toNumber(v: unknown): number {
  if (typeof v === 'number') return v
  if (typeof v === 'string' && v.trim() !== '') return Number(v)
  return Number.NaN
}

/** Epoch milliseconds from an ISO-8601 string or a number of epoch milliseconds; NaN otherwise. */
function toTime(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : Number.NaN
  if (typeof v === 'string' && v.length <= 64) return Date.parse(v)
  return Number.NaN
}

function isPrimitive(v: unknown): v is Primitive {
  const t = typeof v
  return t === 'string' || t === 'boolean' || (t === 'number' && Number.isFinite(v as number))
}

function fail(issues: ConfigIssue[], path: string, message: string): Predicate {
  issues.push({ path, message })
  return never
}
