import { describe, expect, it } from 'vitest'
import { compareSemver, parseSemver } from '../../src/domain/semver.ts'

const sign = (a: string, b: string) => Math.sign(compareSemver(parseSemver(a)!, parseSemver(b)!))

describe('semver', () => {
  it('orders versions by the semver 2.0 precedence example chain', () => {
    const chain = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.1.0',
      '2.0.0',
      '10.0.0',
    ]
    for (let i = 0; i + 1 < chain.length; i++) {
      expect(sign(chain[i]!, chain[i + 1]!)).toBe(-1)
      expect(sign(chain[i + 1]!, chain[i]!)).toBe(1)
    }
  })

  it('ignores build metadata and accepts a leading v', () => {
    expect(sign('1.2.3+build.5', 'v1.2.3')).toBe(0)
  })

  it('rejects malformed versions', () => {
    for (const bad of ['1.2', '01.2.3', '1.2.3-', '1.2.3-01', 'x.y.z', '', '1.2.3.4', '9'.repeat(300)]) {
      expect(parseSemver(bad)).toBeUndefined()
    }
  })
})
