import { describe, expect, it } from 'vitest'
import type { ConfigIssue } from '../../src/domain/issues.ts'
import { compileRule, type EvaluationContext } from '../../src/domain/targeting.ts'

function compile(rule: unknown) {
  const issues: ConfigIssue[] = []
  const predicate = compileRule(rule, 'targeting', issues)
  expect(issues).toEqual([])
  return predicate
}

function issuesOf(rule: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  compileRule(rule, 'targeting', issues)
  return issues
}

const cond = (attribute: string, op: string, value: unknown) => ({ attribute, op, value })

describe('targeting operators', () => {
  const cases: [string, unknown, EvaluationContext, boolean][] = [
    ['eq', 'pro', { plan: 'pro' }, true],
    ['eq', 'pro', { plan: 'free' }, false],
    ['eq', 3, { plan: '3' }, false],
    ['neq', 'pro', { plan: 'free' }, true],
    ['neq', 'pro', { plan: 'pro' }, false],
    ['in', ['a', 'b'], { plan: 'b' }, true],
    ['in', ['a', 'b'], { plan: 'c' }, false],
    ['not_in', ['a', 'b'], { plan: 'c' }, true],
    ['not_in', ['a', 'b'], { plan: 'a' }, false],
    ['contains', 'ro', { plan: 'pro' }, true],
    ['contains', 'beta', { plan: ['alpha', 'beta'] }, true],
    ['contains', 'gamma', { plan: ['alpha', 'beta'] }, false],
    ['starts_with', 'ent', { plan: 'enterprise' }, true],
    ['starts_with', 'ent', { plan: 'pro' }, false],
    ['ends_with', '.io', { plan: 'x.io' }, true],
    ['ends_with', '.io', { plan: 'x.com' }, false],
    ['regex', '^u-\\d+$', { plan: 'u-42' }, true],
    ['regex', '^u-\\d+$', { plan: 'u-x' }, false],
    ['lt', 10, { plan: 9 }, true],
    ['lt', 10, { plan: 10 }, false],
    ['lte', 10, { plan: '10' }, true],
    ['gt', 10, { plan: 11 }, true],
    ['gt', 10, { plan: 'eleven' }, false],
    ['gte', 10, { plan: 10 }, true],
    ['semver_eq', '1.2.3', { plan: 'v1.2.3' }, true],
    ['semver_lt', '2.0.0', { plan: '1.9.9' }, true],
    ['semver_lt', '2.0.0', { plan: '2.0.0' }, false],
    ['semver_lte', '2.0.0', { plan: '2.0.0' }, true],
    ['semver_gt', '2.0.0-rc.1', { plan: '2.0.0' }, true],
    ['semver_gte', '2.0.0', { plan: '1.0.0' }, false],
    ['semver_gt', '1.0.0', { plan: 'not-a-version' }, false],
    ['before', '2025-01-01T00:00:00Z', { plan: '2024-12-31T23:59:59Z' }, true],
    ['before', '2025-01-01T00:00:00Z', { plan: Date.parse('2025-06-01') }, false],
    ['after', '2025-01-01T00:00:00Z', { plan: '2025-01-02' }, true],
    ['after', '2025-01-01T00:00:00Z', { plan: 'yesterday' }, false],
  ]
  it.each(cases)('%s %j on %j → %s', (op, value, context, expected) => {
    expect(compile(cond('plan', op, value))(context)).toBe(expected)
  })

  it('evaluates every operator to false on a missing or non-primitive attribute, without throwing', () => {
    const values: Record<string, unknown> = {
      eq: 'x',
      neq: 'x',
      in: ['x'],
      not_in: ['x'],
      contains: 'x',
      starts_with: 'x',
      ends_with: 'x',
      regex: 'x',
      lt: 1,
      lte: 1,
      gt: 1,
      gte: 1,
      semver_eq: '1.0.0',
      semver_lt: '1.0.0',
      semver_lte: '1.0.0',
      semver_gt: '1.0.0',
      semver_gte: '1.0.0',
      before: '2025-01-01',
      after: '2025-01-01',
    }
    for (const [op, value] of Object.entries(values)) {
      const predicate = compile(cond('missing', op, value))
      expect(predicate({})).toBe(false)
      expect(predicate({ missing: null })).toBe(false)
      expect(predicate({ missing: { nested: true } })).toBe(false)
      expect(compile(cond('constructor', op, value))({})).toBe(false)
    }
  })

  it('caps the input length for regexes', () => {
    const predicate = compile(cond('s', 'regex', 'a$'))
    expect(predicate({ s: `${'b'.repeat(1000)}a` })).toBe(true)
    expect(predicate({ s: `${'b'.repeat(1024)}a` })).toBe(false)
  })
})

describe('targeting groups', () => {
  const rule = compile({
    all: [
      cond('country', 'in', ['DE', 'FR']),
      { any: [cond('plan', 'eq', 'pro'), cond('seats', 'gte', 50)] },
      { not: cond('email', 'ends_with', '@competitor.com') },
    ],
  })

  it('combines all / any / not', () => {
    expect(rule({ country: 'DE', plan: 'pro', email: 'a@b.de' })).toBe(true)
    expect(rule({ country: 'DE', seats: 60, email: 'a@b.de' })).toBe(true)
    expect(rule({ country: 'DE', plan: 'free', seats: 3, email: 'a@b.de' })).toBe(false)
    expect(rule({ country: 'US', plan: 'pro', email: 'a@b.de' })).toBe(false)
    expect(rule({ country: 'FR', plan: 'pro', email: 'x@competitor.com' })).toBe(false)
    // not(missing) is true: the missing condition is false, its negation true.
    expect(rule({ country: 'FR', plan: 'pro' })).toBe(true)
  })

  it('handles groups of three or more', () => {
    const all3 = compile({ all: [cond('a', 'eq', 1), cond('b', 'eq', 2), cond('c', 'eq', 3)] })
    const any3 = compile({ any: [cond('a', 'eq', 1), cond('b', 'eq', 2), cond('c', 'eq', 3)] })
    expect(all3({ a: 1, b: 2, c: 3 })).toBe(true)
    expect(all3({ a: 1, b: 2, c: 4 })).toBe(false)
    expect(any3({ c: 3 })).toBe(true)
    expect(any3({ d: 3 })).toBe(false)
  })
})

describe('targeting validation', () => {
  it.each([
    [cond('plan', 'like', 'x'), 'targeting.op'],
    [cond('1plan', 'eq', 'x'), 'targeting.attribute'],
    [cond('plan', 'eq', ['x']), 'targeting.value'],
    [cond('plan', 'in', []), 'targeting.value'],
    [cond('plan', 'in', [{}]), 'targeting.value'],
    [cond('plan', 'lt', '5'), 'targeting.value'],
    [cond('plan', 'semver_gt', '1.2'), 'targeting.value'],
    [cond('plan', 'before', 'someday'), 'targeting.value'],
    [cond('plan', 'regex', '(a+)+'), 'targeting.value'],
    [cond('plan', 'regex', '(x)\\1'), 'targeting.value'],
    [{ ...cond('plan', 'eq', 'x'), extra: 1 }, 'targeting'],
    [{ all: [] }, 'targeting.all'],
    [{ all: [cond('a', 'eq', 1)], any: [] }, 'targeting'],
    [{ not: cond('a', 'zz', 1) }, 'targeting.not.op'],
    [{ any: [cond('a', 'eq', 1), { all: [cond('b', 'nope', 1)] }] }, 'targeting.any[1].all[0].op'],
    ['rule', 'targeting'],
  ])('reports %j at %s', (rule, path) => {
    const issues = issuesOf(rule)
    expect(issues.map((i) => i.path)).toContain(path)
  })

  it('limits depth and size', () => {
    let deep: unknown = cond('a', 'eq', 1)
    for (let i = 0; i < 10; i++) deep = { not: deep }
    expect(issuesOf(deep)[0]?.message).toContain('deeper than')
    const wide = { any: Array.from({ length: 201 }, (_, i) => cond('a', 'eq', i)) }
    expect(issuesOf(wide).some((i) => i.message.includes('more than 200 conditions'))).toBe(true)
  })
})
