/** Keys whose values are credentials: never logged, never echoed in errors. */
const SENSITIVE_KEY = /authorization|cookie|token|secret|password|passwd|api[-_]?key|signature|credential/i

export const REDACTED = '[Redacted]'

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key)
}

const MAX_DEPTH = 6

/**
 * Returns a copy of `value` with every sensitive key's value replaced. Only plain objects and
 * arrays are walked: class instances (requests, errors, buffers) go to their serializers as they
 * are, and unchanged sub-trees are returned as-is so the common case allocates nothing.
 */
export function scrub<T>(value: T, depth = 0): T {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const scrubbed = scrub(value[i], depth + 1)
      if (scrubbed !== value[i]) {
        copy ??= value.slice()
        copy[i] = scrubbed
      }
    }
    return (copy ?? value) as T
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  let copy: Record<string, unknown> | undefined
  for (const key in value) {
    const current = (value as Record<string, unknown>)[key]
    const next = isSensitiveKey(key)
      ? current === undefined
        ? current
        : REDACTED
      : scrub(current, depth + 1)
    if (next !== current) {
      copy ??= { ...(value as Record<string, unknown>) }
      copy[key] = next
    }
  }
  return (copy ?? value) as T
}

/**
 * `url` with the values of sensitive query parameters replaced (`/cb?token=[Redacted]&page=2`),
 * for the access line. A URL without a query is returned as-is, so the common case costs one
 * `indexOf`.
 */
export function scrubUrl(url: string): string {
  const start = url.indexOf('?')
  if (start === -1) return url
  const params = url.slice(start + 1).split('&')
  let changed = false
  for (let i = 0; i < params.length; i++) {
    const param = params[i]!
    const eq = param.indexOf('=')
    const key = eq === -1 ? param : param.slice(0, eq)
    if (key !== '' && isSensitiveKey(decodeKey(key))) {
      params[i] = `${key}=${REDACTED}`
      changed = true
    }
  }
  return changed ? `${url.slice(0, start + 1)}${params.join('&')}` : url
}

// `api%5Fkey` and `api+key` must not slip past the key test; a malformed escape is tested raw.
function decodeKey(key: string): string {
  if (!key.includes('%') && !key.includes('+')) return key
  try {
    return decodeURIComponent(key.replaceAll('+', ' '))
  } catch {
    return key
  }
}
