// Semantic Versioning 2.0.0 precedence (https://semver.org/#spec-item-11). A leading "v" is
// accepted because clients commonly send "v1.2.3"; build metadata is ignored for precedence.

const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$/

export type SemVer = {
  readonly major: number
  readonly minor: number
  readonly patch: number
  readonly prerelease: readonly (string | number)[]
}

const MAX_VERSION_LENGTH = 256

export function parseSemver(text: string): SemVer | undefined {
  if (text.length > MAX_VERSION_LENGTH) return undefined
  const m = SEMVER.exec(text)
  if (!m) return undefined
  const major = Number(m[1])
  const minor = Number(m[2])
  const patch = Number(m[3])
  if (!Number.isSafeInteger(major) || !Number.isSafeInteger(minor) || !Number.isSafeInteger(patch)) {
    return undefined
  }
  const prerelease = m[4] ? m[4].split('.').map((id) => (/^\d+$/.test(id) ? Number(id) : id)) : []
  return { major, minor, patch, prerelease }
}

/** Negative when a < b, zero when equal in precedence, positive when a > b. */
export function compareSemver(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major - b.major
  if (a.minor !== b.minor) return a.minor - b.minor
  if (a.patch !== b.patch) return a.patch - b.patch
  const pa = a.prerelease
  const pb = b.prerelease
  // A version without pre-release identifiers ranks above one with them.
  if (pa.length === 0 || pb.length === 0) return pb.length - pa.length
  const n = Math.min(pa.length, pb.length)
  for (let i = 0; i < n; i++) {
    const x = pa[i]!
    const y = pb[i]!
    if (x === y) continue
    const xNum = typeof x === 'number'
    const yNum = typeof y === 'number'
    if (xNum && yNum) return x - y
    // Numeric identifiers rank below alphanumeric ones; alphanumerics compare in ASCII order.
    if (xNum) return -1
    if (yNum) return 1
    return x < y ? -1 : 1
  }
  return pa.length - pb.length
}
