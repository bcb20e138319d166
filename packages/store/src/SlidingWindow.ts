/**
 * Sliding-window counter rate limiting (the approximation Cloudflare and nginx-style limiters
 * use): the previous fixed window's count is weighted by how much of it still overlaps the
 * sliding window. O(1) state, no boundary bursts of 2× the limit as with plain fixed windows.
 *
 * The in-memory cache runs `hitWindow`; the Redis cache runs the same steps in Lua
 * (RedisCache.ts) so the decision and the increment are one atomic step. Both then call
 * `describeWindow` to compute what the caller sees.
 */

export interface WindowState {
  /** floor(now / windowMs) of the window `current` counts. */
  index: number
  previous: number
  current: number
}

export interface WindowHit {
  state: WindowState
  allowed: boolean
  /** ms since the current fixed window began. */
  elapsedMs: number
}

export interface RateLimitResult {
  allowed: boolean
  /** Further requests allowed right now. */
  remaining: number
  /** When denied: ms until one more request would be allowed (for Retry-After); 0 when allowed. */
  retryAfterMs: number
}

export const assertRateLimit = (limit: number, windowMs: number): void => {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be an integer ≥ 1, got ${limit}`)
  if (!Number.isInteger(windowMs) || windowMs < 1) {
    throw new RangeError(`windowMs must be an integer ≥ 1, got ${windowMs}`)
  }
}

const weight = (state: WindowState, elapsedMs: number, windowMs: number): number =>
  (state.previous * (windowMs - elapsedMs)) / windowMs + state.current

/** Counts one request at `now` if the limit allows it. */
export const hitWindow = (
  stored: WindowState | undefined,
  now: number,
  limit: number,
  windowMs: number,
): WindowHit => {
  const index = Math.floor(now / windowMs)
  const elapsedMs = now - index * windowMs
  let state: WindowState
  if (stored?.index === index) state = { ...stored }
  else if (stored?.index === index - 1) state = { index, previous: stored.current, current: 0 }
  else state = { index, previous: 0, current: 0 }
  const allowed = weight(state, elapsedMs, windowMs) + 1 <= limit
  if (allowed) state.current += 1
  return { state, allowed, elapsedMs }
}

export const describeWindow = (hit: WindowHit, limit: number, windowMs: number): RateLimitResult => {
  const { state, allowed, elapsedMs } = hit
  const remaining = Math.max(0, Math.floor(limit - weight(state, elapsedMs, windowMs)))
  if (allowed) return { allowed, remaining, retryAfterMs: 0 }
  let waitMs: number
  if (state.current + 1 <= limit) {
    // Still in this window: wait until the previous window's weight has decayed enough.
    const freeAt = windowMs * (1 - (limit - state.current - 1) / state.previous)
    waitMs = freeAt - elapsedMs
  } else {
    // This window is full: in the next one it becomes `previous` and must decay in turn.
    const freeAt = windowMs * (1 - (limit - 1) / state.current)
    waitMs = windowMs - elapsedMs + freeAt
  }
  // The epsilon absorbs float noise (1 - 0.7 = 0.30000000000000004) that would add a whole ms.
  return { allowed, remaining, retryAfterMs: Math.max(1, Math.ceil(waitMs - 1e-7)) }
}
