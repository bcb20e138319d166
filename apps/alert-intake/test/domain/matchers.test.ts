import { describe, expect, it } from 'vitest'
import { MatcherSyntaxError, matchesAll, parseMatcher, parseMatchers } from '../../src/domain/matchers.ts'

const labels = { alertname: 'HighLatency', severity: 'critical', instance: 'api-1:9090', summary: 'a, "b"' }

describe('parseMatcher', () => {
  it.each([
    ['alertname="HighLatency"', true],
    ['alertname=HighLatency', true],
    ['alertname!="HighLatency"', false],
    ['severity=~"crit.*"', true],
    ['severity=~"crit"', false], // anchored: a substring does not match
    ['severity!~"warn|info"', true],
    ['instance=~"api-[0-9]+:9090"', true],
    ['missing=""', true], // a missing label matches as the empty string
    ['missing!=""', false],
    ['missing=~".*"', true],
    ['summary="a, \\"b\\""', true],
    ['alertname =~ "High.*"', true],
  ])('%s → %s', (text, expected) => {
    expect(parseMatcher(text).test(labels)).toBe(expected)
  })

  it('anchors alternations as a whole (a|b does not match "ab")', () => {
    expect(parseMatcher('x=~"a|b"').test({ x: 'ab' })).toBe(false)
    expect(parseMatcher('x=~"a|b"').test({ x: 'b' })).toBe(true)
  })

  it('matches unicode values', () => {
    expect(parseMatcher('summary=~"日本.🚀"').test({ summary: '日本語🚀' })).toBe(true)
  })

  it.each(['alertname', '="x"', 'a="unterminated', 'a=b"c', 'a=~"("', 'a="x"y"'])('rejects %j', (text) => {
    expect(() => parseMatcher(text)).toThrow(MatcherSyntaxError)
  })

  it.each([
    ['a=~"(.*)*x"', 'nested quantifiers'],
    ['a=~"(a+)+"', 'nested quantifiers'],
    ['a=~(x)\\1', 'backreferences'],
  ])('refuses the catastrophic-backtracking regex %j', (text, reason) => {
    expect(() => parseMatcher(text)).toThrow(reason)
  })

  // Regression: a flat pattern passes the shape check but backtracked polynomially (`.*.*.*y`
  // took 12 s on a 4,000-character value); the linear-time engine answers at once.
  it('runs an accepted regex in linear time on a huge label value', () => {
    const matcher = parseMatcher('a=~".*.*.*y"')
    const started = performance.now()
    expect(matcher.test({ a: 'x'.repeat(200_000) })).toBe(false)
    expect(matcher.test({ a: `${'x'.repeat(200_000)}y` })).toBe(true)
    expect(performance.now() - started).toBeLessThan(2_000)
  })

  it('refuses a regex the linear-time engine cannot run (lookaround)', () => {
    expect(() => parseMatcher('a=~"x(?=y)"')).toThrow(/linear time/)
  })

  it('keeps a regex inside its anchors (a)|(b cannot unanchor the match)', () => {
    expect(() => parseMatcher('a=~"x)|(y"')).toThrow(MatcherSyntaxError)
  })

  it.each([
    ['constructor=""', true],
    ['constructor=~""', true],
    ['toString!=""', false],
    ['__proto__=~".+"', false],
  ])('reads only own labels: %s on {} → %s', (text, expected) => {
    expect(parseMatcher(text).test({})).toBe(expected)
  })

  it('rejects matchers above the length bound', () => {
    expect(() => parseMatcher(`a="${'x'.repeat(2000)}"`)).toThrow(/longer than/)
  })
})

describe('parseMatchers', () => {
  it('parses a braced list, keeping commas inside quotes', () => {
    const ms = parseMatchers('{alertname="HighLatency", summary="a, \\"b\\""}')
    expect(ms.map((m) => [m.name, m.op, m.value])).toEqual([
      ['alertname', '=', 'HighLatency'],
      ['summary', '=', 'a, "b"'],
    ])
    expect(matchesAll(ms, labels)).toBe(true)
    expect(matchesAll([...ms, parseMatcher('severity="warning"')], labels)).toBe(false)
  })

  it('treats no matchers as matching everything', () => {
    expect(matchesAll(parseMatchers('{}'), labels)).toBe(true)
  })
})
