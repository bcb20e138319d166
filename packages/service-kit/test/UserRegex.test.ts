import { describe, expect, it } from 'vitest'
import { linearRegExp, unsafeRegexReason } from '../src/index.ts'

describe('unsafeRegexReason', () => {
  it.each([
    ['(a+)+', 'nested quantifiers'],
    ['(.*)*x', 'nested quantifiers'],
    ['(x)\\1', 'backreferences'],
  ])('refuses %j', (pattern, reason) => {
    expect(unsafeRegexReason(pattern)).toContain(reason)
  })

  it.each(['api|web', 'host-.*', '(ab)+c', '[a-z]+\\d{2,4}'])('accepts %j', (pattern) => {
    expect(unsafeRegexReason(pattern)).toBeUndefined()
  })
})

describe('linearRegExp', () => {
  // Regression: `.*.*.*y` passes the shape check but backtracked polynomially on V8's default
  // engine (12 s on a 4,000-character value).
  it('runs a flat but polynomial pattern in linear time on a huge value', () => {
    const re = linearRegExp('^(?:.*.*.*y)$')
    const started = performance.now()
    expect(re.test('x'.repeat(200_000))).toBe(false)
    expect(re.test(`${'x'.repeat(200_000)}y`)).toBe(true)
    expect(performance.now() - started).toBeLessThan(2_000)
  })

  it('refuses what the linear engine cannot run', () => {
    expect(() => linearRegExp('x(?=y)')).toThrow(SyntaxError)
  })
})
