import { HttpStatusError } from './HttpStatusError.ts'
import { parseRetryAfter } from './RetryAfter.ts'

/** Enough of an error body to diagnose with, without holding a large payload in memory. */
export const MAX_ERROR_BODY_CHARS = 4096

/**
 * Returns a 2xx fetch Response unchanged; otherwise reads (a bounded part of) the body and throws
 * HttpStatusError with Retry-After parsed, so a policy can classify and back off correctly.
 */
export async function throwForStatus(response: Response, now: number = Date.now()): Promise<Response> {
  if (response.ok) return response
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now)
  // A body that cannot be read (aborted, already used) must not hide the status.
  const body = await response.text().then(
    (text) => text.slice(0, MAX_ERROR_BODY_CHARS),
    () => undefined,
  )
  throw new HttpStatusError(response.status, {
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(body === undefined ? {} : { body }),
  })
}
