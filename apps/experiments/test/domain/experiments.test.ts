import { describe, expect, it } from 'vitest'
import {
  type CompiledExperiment,
  compileExperiment,
  type ExperimentConfig,
  stickyReadsAfter,
} from '../../src/domain/experiments.ts'

function experiment(overrides: Partial<ExperimentConfig> = {}): CompiledExperiment {
  const compiled = compileExperiment({
    key: 'checkout-button',
    status: 'ACTIVE',
    variants: [
      { key: 'control', weight: 50 },
      { key: 'treatment', weight: 50 },
    ],
    trafficAllocation: 100,
    seed: 'checkout-button',
    bucketVersion: 1,
    ...overrides,
  })
  if (!('experiment' in compiled)) throw new Error(JSON.stringify(compiled.issues))
  return compiled.experiment
}

const USERS = Array.from({ length: 100_000 }, (_, i) => `user-${i}`)

function shares(exp: CompiledExperiment, users: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {}
  let assigned = 0
  for (const user of users) {
    const a = exp.assign(user, {})
    if (a.variant === null) continue
    counts[a.variant] = (counts[a.variant] ?? 0) + 1
    assigned++
  }
  for (const key of Object.keys(counts)) counts[key] = (counts[key]! / assigned) * 100
  return counts
}

describe('experiment assignment (statistics over 100,000 users)', () => {
  it('matches uneven weights within 2 points', () => {
    const exp = experiment({
      variants: [
        { key: 'a', weight: 10 },
        { key: 'b', weight: 20 },
        { key: 'c', weight: 70 },
      ],
    })
    const s = shares(exp, USERS)
    expect(Math.abs(s.a! - 10)).toBeLessThan(2)
    expect(Math.abs(s.b! - 20)).toBeLessThan(2)
    expect(Math.abs(s.c! - 70)).toBeLessThan(2)
  })

  it('admits the traffic allocation share and keeps weights unbiased inside it', () => {
    const exp = experiment({ trafficAllocation: 20 })
    let inside = 0
    for (const user of USERS) if (exp.assign(user, {}).variant !== null) inside++
    expect(Math.abs(inside / 1000 - 20)).toBeLessThan(2)
    const s = shares(exp, USERS)
    expect(Math.abs(s.control! - 50)).toBeLessThan(2)
    expect(Math.abs(s.treatment! - 50)).toBeLessThan(2)
  })

  it('gives the same user the same answer every time', () => {
    const exp = experiment({ trafficAllocation: 50 })
    const again = experiment({ trafficAllocation: 50 })
    for (const user of USERS.slice(0, 10_000)) expect(exp.assign(user, {})).toBe(exp.assign(user, {}))
    for (const user of USERS.slice(0, 10_000))
      expect(exp.assign(user, {}).variant).toBe(again.assign(user, {}).variant)
  })

  it('changing the traffic allocation only adds or removes users, it never moves them between variants', () => {
    const narrow = experiment({ trafficAllocation: 30 })
    const wide = experiment({ trafficAllocation: 70 })
    let added = 0
    for (const user of USERS) {
      const before = narrow.assign(user, {}).variant
      const after = wide.assign(user, {}).variant
      if (before !== null) expect(after).toBe(before)
      else if (after !== null) added++
    }
    expect(Math.abs(added / 1000 - 40)).toBeLessThan(2)
  })

  it('reshuffles when the bucket version is raised', () => {
    const v1 = experiment()
    const v2 = experiment({ bucketVersion: 2 })
    let moved = 0
    for (const user of USERS.slice(0, 10_000))
      if (v1.assign(user, {}).variant !== v2.assign(user, {}).variant) moved++
    expect(Math.abs(moved / 100 - 50)).toBeLessThan(3)
  })
})

describe('experiment status and targeting', () => {
  it.each([
    ['DRAFT', 'EXPERIMENT_DRAFT'],
    ['PAUSED', 'EXPERIMENT_PAUSED'],
    ['COMPLETED', 'EXPERIMENT_COMPLETED'],
  ] as const)('%s assigns nobody (%s)', (status, reason) => {
    const exp = experiment({ status })
    expect(exp.closedReason).toBe(reason)
    expect(exp.assign('user-1', {})).toEqual({ variant: null, reason })
  })

  it('assigns only targeted users', () => {
    const exp = experiment({ targeting: { attribute: 'country', op: 'in', value: ['DE'] } })
    expect(exp.assign('user-1', { country: 'US' })).toEqual({ variant: null, reason: 'NOT_TARGETED' })
    expect(exp.assign('user-1', { country: 'DE' }).reason).toBe('ASSIGNED')
  })

  it('knows its variant keys', () => {
    expect(experiment().hasVariant('control')).toBe(true)
    expect(experiment().hasVariant('gone')).toBe(false)
  })
})

describe('experiment validation', () => {
  it.each([
    [{ key: '' }, 'key'],
    [{ status: 'RUNNING' }, 'status'],
    [{ trafficAllocation: 120 }, 'trafficAllocation'],
    [{ seed: 'has space' }, 'seed'],
    [{ bucketVersion: 0 }, 'bucketVersion'],
    [{ variants: [{ key: 'a', weight: 50 }] }, 'variants'],
    [
      {
        variants: [
          { key: 'a', weight: 50 },
          { key: 'a', weight: 50 },
        ],
      },
      'variants[1].key',
    ],
    [{ targeting: { all: 'x' } }, 'targeting.all'],
  ])('rejects %j at %s', (input, path) => {
    const base = {
      key: 'e',
      status: 'ACTIVE',
      variants: [
        { key: 'a', weight: 50 },
        { key: 'b', weight: 50 },
      ],
      trafficAllocation: 100,
      seed: 's',
      bucketVersion: 1,
    }
    const r = compileExperiment({ ...base, ...input })
    expect('issues' in r ? r.issues.map((i) => i.path) : []).toContain(path)
  })
})

describe('stickyReadsAfter', () => {
  const base = experiment().config
  it('stays off while nothing that moves users changed', () => {
    expect(stickyReadsAfter(base, { ...base, status: 'PAUSED', description: 'x' }, false)).toBe(false)
  })
  it.each([
    [
      'weights',
      {
        variants: [
          { key: 'control', weight: 40 },
          { key: 'treatment', weight: 60 },
        ],
      },
    ],
    ['allocation', { trafficAllocation: 50 }],
    ['targeting', { targeting: { attribute: 'a', op: 'eq', value: 1 } }],
    ['seed', { seed: 'other' }],
  ] as const)('turns on when the %s change', (_, change) => {
    expect(stickyReadsAfter(base, { ...base, ...change } as ExperimentConfig, false)).toBe(true)
  })
  it('stays on until the bucket version is raised', () => {
    expect(stickyReadsAfter(base, base, true)).toBe(true)
    expect(stickyReadsAfter(base, { ...base, bucketVersion: 2, trafficAllocation: 10 }, true)).toBe(false)
  })
})
