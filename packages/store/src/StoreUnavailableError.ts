export type StoreBackend = 'postgres' | 'pglite' | 'redis' | 'memory'

/** A readiness check failed: the backend is down, unreachable, too slow, or closed. */
export class StoreUnavailableError extends Error {
  readonly isStoreUnavailableError = true
  readonly backend: StoreBackend

  constructor(backend: StoreBackend, reason: string, options?: ErrorOptions) {
    super(`${backend} is unavailable: ${reason}`, options)
    this.name = 'StoreUnavailableError'
    this.backend = backend
  }
}

export const isStoreUnavailableError = (error: unknown): error is StoreUnavailableError =>
  typeof error === 'object' &&
  error !== null &&
  (error as { isStoreUnavailableError?: unknown }).isStoreUnavailableError === true

/**
 * Runs a probe with a deadline and turns any failure into a StoreUnavailableError.
 * The probe itself cannot be cancelled (pg and ioredis have no abort), so it is left to settle.
 */
export const probe = async (backend: StoreBackend, timeoutMs: number, run: () => Promise<unknown>) => {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreUnavailableError(backend, `no answer within ${timeoutMs} ms`)),
      timeoutMs,
    )
  })
  try {
    await Promise.race([run(), deadline])
  } catch (error) {
    if (isStoreUnavailableError(error)) throw error
    const reason = error instanceof Error ? error.message : String(error)
    throw new StoreUnavailableError(backend, reason, { cause: error })
  } finally {
    clearTimeout(timer)
  }
}
