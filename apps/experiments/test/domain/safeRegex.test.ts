import { describe, expect, it } from 'vitest'
import { unsafeRegexReason } from '../../src/domain/safeRegex.ts'

describe('unsafeRegexReason', () => {
  it.each([
    '^user-\\d+$',
    '(foo|bar)+baz',
    '^[a-z(+)]*$',
    '(?:ab)+',
    '(a+)?',
    '(?<name>x+)y',
    '\\(a+\\)+',
    'a{2,3}b{4}',
    '(a+){1}',
  ])('accepts %s', (pattern) => {
    expect(unsafeRegexReason(pattern)).toBeUndefined()
  })

  it.each([
    ['(a+)+$', 'nested quantifiers'],
    ['(a*)*', 'nested quantifiers'],
    ['((ab)*c)+', 'nested quantifiers'],
    ['(?:x+y?)*', 'nested quantifiers'],
    ['(a?){2,}', 'nested quantifiers'],
    ['(\\w+\\s?)+$', 'nested quantifiers'],
    ['(a)\\1', 'backreferences'],
    ['(?<n>a)\\k<n>', 'backreferences'],
    ['(unclosed', 'invalid regular expression'],
    ['a'.repeat(257), 'longer than 256'],
  ])('rejects %s', (pattern, reason) => {
    expect(unsafeRegexReason(pattern)).toContain(reason)
  })
})
