import { describe, expect, it } from 'vitest'
import { checkFingerprint, compareCodePoints, fingerprintOf, fnv1a64 } from '../../src/domain/fingerprint.ts'

// Expected values printed by prometheus/common v0.62.0 `model.LabelSet{...}.Fingerprint().String()`
// (a ten-line Go program run with the module from the Go proxy), i.e. Alertmanager's fingerprints.
const PROMETHEUS_VECTORS: Array<[Record<string, string>, string]> = [
  [{}, 'cbf29ce484222325'],
  [{ alertname: 'HighLatency' }, '73dbeed5635ea4e4'],
  [
    { alertname: 'HighLatency', severity: 'critical', instance: 'api-1:9090', job: 'api' },
    '59d7a84a7536c84e',
  ],
  [{ a: '', b: 'x' }, 'c5a5302263c79c50'],
  [{ alertname: 'Ünïcödé', summary: '日本語 🚀' }, '34614dbfe2744124'],
  [{ zeta: '1', alpha: '2', Mid: '3', _u: '4' }, '82183cd261d05805'],
  // Go orders names by UTF-8 bytes: U+FF01 before U+1F600, the reverse of UTF-16 order.
  [{ '\uFF01': 'a', '\u{1F600}': 'b' }, 'a62db0561d111fc3'],
]

describe('fingerprintOf', () => {
  it.each(PROMETHEUS_VECTORS)('matches Prometheus for %j', (labels, expected) => {
    expect(fingerprintOf(labels)).toBe(expected)
  })

  it('does not depend on the order labels arrive in', () => {
    expect(fingerprintOf({ b: '2', a: '1' })).toBe(fingerprintOf({ a: '1', b: '2' }))
  })

  it('separates names from values (a=bc differs from ab=c)', () => {
    expect(fingerprintOf({ a: 'bc' })).not.toBe(fingerprintOf({ ab: 'c' }))
  })
})

describe('fnv1a64', () => {
  // Published FNV-1a 64 test vectors (Fowler/Noll/Vo reference test suite).
  it.each([
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
  ])('hashes %j', (input, expected) => {
    expect(fnv1a64(input)).toBe(expected)
  })

  it('encodes a lone surrogate as U+FFFD like Go and TextEncoder', () => {
    expect(fnv1a64('\uD800')).toBe(fnv1a64('\uFFFD'))
  })
})

describe('compareCodePoints', () => {
  it('orders by code point', () => {
    const names = ['\u{1F600}', '\uFF01', 'b', 'a', 'A', '_', 'ab']
    expect(names.sort(compareCodePoints)).toEqual(['A', '_', 'a', 'ab', 'b', '\uFF01', '\u{1F600}'])
  })
})

describe('checkFingerprint', () => {
  const labels = { alertname: 'HighLatency' }

  it('computes the fingerprint when none was sent', () => {
    expect(checkFingerprint(labels, undefined)).toEqual({ ok: true, fingerprint: '73dbeed5635ea4e4' })
    expect(checkFingerprint(labels, '')).toEqual({ ok: true, fingerprint: '73dbeed5635ea4e4' })
  })

  it('accepts a matching fingerprint in either case', () => {
    expect(checkFingerprint(labels, '73DBEED5635EA4E4')).toEqual({
      ok: true,
      fingerprint: '73dbeed5635ea4e4',
    })
  })

  it('reports a mismatch', () => {
    expect(checkFingerprint(labels, '0000000000000000')).toEqual({
      ok: false,
      computed: '73dbeed5635ea4e4',
      received: '0000000000000000',
    })
  })
})
