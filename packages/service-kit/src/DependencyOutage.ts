import { isStoreUnavailableError } from '@agent-sre/store'
import { DependencyUnavailableError } from './Errors.ts'

// Socket-level failures reaching a database, cache or broker (Node system error codes; an
// AggregateError from a multi-address connect carries the code too).
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
])

// Postgres SQLSTATEs for "cannot serve now": class 08 (connection exception), 53300 (too many
// connections), 57P01–57P03 (admin or crash shutdown, starting up).
const POSTGRES_UNAVAILABLE = /^(08[0-9A-Z]{3}|53300|57P0[123])$/

// Errors pg and ioredis raise without a code when the connection is gone.
const CLIENT_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Cannot use a pool after calling end|Connection is closed|Stream isn't writeable)/
const CLIENT_NAMES = new Set(['MaxRetriesPerRequestError'])

const MAX_CAUSES = 5

/**
 * Whether `err` (or one of its causes) means a dependency is down rather than a bug: the kit's
 * DependencyUnavailableError, @agent-sre/store's StoreUnavailableError, or a pg/ioredis
 * connection failure. Such errors are answered 503 with Retry-After, so callers and the broker
 * retry instead of treating the request as failed for good.
 */
export function isDependencyOutage(err: unknown): boolean {
  let current = err
  for (let depth = 0; depth <= MAX_CAUSES; depth++) {
    if (typeof current !== 'object' || current === null) return false
    if (current instanceof DependencyUnavailableError || isStoreUnavailableError(current)) return true
    const { code, name, message } = current as { code?: unknown; name?: unknown; message?: unknown }
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || POSTGRES_UNAVAILABLE.test(code)))
      return true
    if (typeof name === 'string' && CLIENT_NAMES.has(name)) return true
    if (typeof message === 'string' && CLIENT_MESSAGES.test(message)) return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}
