import { describe, expect, it } from 'vitest'
import { rolloutBucketer } from '../../src/domain/bucketing.ts'
import { type CompiledFlag, compileFlag, type FlagConfig } from '../../src/domain/flags.ts'

function flag(overrides: Partial<FlagConfig> = {}): CompiledFlag {
  const compiled = compileFlag({
    key: 'new-checkout',
    enabled: true,
    valueType: 'boolean',
    defaultValue: false,
    rolloutPercentage: 100,
    variants: [{ key: 'on', value: true, weight: 100 }],
    ...overrides,
  })
  if (!('flag' in compiled)) throw new Error(JSON.stringify(compiled.issues))
  return compiled.flag
}

describe('flag evaluation', () => {
  it('serves the single variant statically when nothing depends on the subject', () => {
    expect(flag().evaluate({})).toEqual({ enabled: true, value: true, variant: 'on', reason: 'STATIC' })
  })

  it('serves the default value with DISABLED when the flag is off', () => {
    expect(flag({ enabled: false }).evaluate({ targetingKey: 'u' })).toEqual({
      enabled: false,
      value: false,
      reason: 'DISABLED',
    })
  })

  it('serves TARGETING_MATCH when the rule matches and DEFAULT when it does not', () => {
    const f = flag({ targeting: { attribute: 'plan', op: 'eq', value: 'pro' } })
    expect(f.evaluate({ plan: 'pro' })).toMatchObject({
      enabled: true,
      value: true,
      reason: 'TARGETING_MATCH',
    })
    expect(f.evaluate({ plan: 'free' })).toEqual({ enabled: false, value: false, reason: 'DEFAULT' })
    expect(f.evaluate({})).toMatchObject({ reason: 'DEFAULT' })
  })

  it('uses the Unleash bucket for the rollout percentage', () => {
    const f = flag({ rolloutPercentage: 30 })
    const bucket = rolloutBucketer('new-checkout')
    for (let i = 0; i < 2000; i++) {
      const key = `user-${i}`
      const r = f.evaluate({ targetingKey: key })
      if (bucket(key) <= 30) expect(r).toMatchObject({ enabled: true, reason: 'SPLIT', variant: 'on' })
      else expect(r).toEqual({ enabled: false, value: false, reason: 'DEFAULT' })
    }
  })

  it('reports TARGETING_KEY_MISSING when a split needs a subject and none is given', () => {
    const r = flag({ rolloutPercentage: 50 }).evaluate({ plan: 'pro' })
    expect(r).toEqual({ enabled: false, value: false, reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING' })
    expect(flag({ rolloutPercentage: 0 }).evaluate({})).toMatchObject({ reason: 'DEFAULT' })
  })

  it('splits string variants by weight within 2 points over 100,000 subjects', () => {
    const f = flag({
      valueType: 'string',
      defaultValue: 'control',
      variants: [
        { key: 'a', value: 'blue', weight: 50 },
        { key: 'b', value: 'green', weight: 30 },
        { key: 'c', value: 'red', weight: 20 },
      ],
    })
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 }
    for (let i = 0; i < 100_000; i++) {
      const r = f.evaluate({ targetingKey: `user-${i}` })
      expect(r.reason).toBe('SPLIT')
      counts[r.variant!]!++
    }
    expect(Math.abs(counts.a! / 1000 - 50)).toBeLessThan(2)
    expect(Math.abs(counts.b! / 1000 - 30)).toBeLessThan(2)
    expect(Math.abs(counts.c! / 1000 - 20)).toBeLessThan(2)
  })

  it('is deterministic per subject and returns the same result object (no allocation)', () => {
    const f = flag({
      valueType: 'number',
      defaultValue: 0,
      variants: [
        { key: 'low', value: 1, weight: 50 },
        { key: 'high', value: 2, weight: 50 },
      ],
    })
    for (let i = 0; i < 500; i++) {
      const context = { targetingKey: `u${i}` }
      expect(f.evaluate(context)).toBe(f.evaluate({ ...context }))
    }
  })

  it('serves object values', () => {
    const f = flag({
      valueType: 'object',
      defaultValue: {},
      variants: [{ key: 'cfg', value: { limit: 5 }, weight: 100 }],
    })
    expect(f.evaluate({}).value).toEqual({ limit: 5 })
  })
})

describe('flag validation', () => {
  function issues(input: Record<string, unknown>) {
    const base = {
      key: 'f',
      enabled: true,
      valueType: 'boolean',
      defaultValue: false,
      rolloutPercentage: 100,
      variants: [{ key: 'on', value: true, weight: 100 }],
    }
    const r = compileFlag({ ...base, ...input })
    return 'issues' in r ? r.issues.map((i) => i.path) : []
  }

  it('accepts a well-formed flag', () => {
    expect(issues({})).toEqual([])
  })

  it.each([
    [{ key: 'bad key' }, 'key'],
    [{ key: '-x' }, 'key'],
    [{ enabled: 'yes' }, 'enabled'],
    [{ valueType: 'date' }, 'valueType'],
    [{ defaultValue: 'no' }, 'defaultValue'],
    [{ rolloutPercentage: 50.5 }, 'rolloutPercentage'],
    [{ rolloutPercentage: 101 }, 'rolloutPercentage'],
    [{ variants: [] }, 'variants'],
    [{ variants: [{ key: 'on', value: 1, weight: 100 }] }, 'variants[0].value'],
    [
      {
        variants: [
          { key: 'on', value: true, weight: 60 },
          { key: 'off', value: false, weight: 30 },
        ],
      },
      'variants',
    ],
    [
      {
        variants: [
          { key: 'on', value: true, weight: 50 },
          { key: 'on', value: false, weight: 50 },
        ],
      },
      'variants[1].key',
    ],
    [{ variants: [{ key: 'on', value: true, weight: 33.333 }] }, 'variants[0].weight'],
    [{ targeting: { attribute: 'x', op: 'regex', value: '(a*)*' } }, 'targeting.value'],
    [
      { valueType: 'object', defaultValue: [], variants: [{ key: 'a', value: {}, weight: 100 }] },
      'defaultValue',
    ],
  ])('rejects %j at %s', (input, path) => {
    expect(issues(input)).toContain(path)
  })
})
