/** The part of a pino logger this package uses; a pino instance fits as is. */
export interface StoreLogger {
  debug(fields: object, message?: string): void
  info(fields: object, message?: string): void
  warn(fields: object, message?: string): void
  error(fields: object, message?: string): void
}

/** Used when no logger is given: a library stays silent on stdio unless asked. */
export const silentLogger: StoreLogger = Object.freeze({ debug() {}, info() {}, warn() {}, error() {} })

/** Log-safe summary of an error: message and code only, never connection strings. */
export const describeError = (error: unknown): { message: string; code?: string } => {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return typeof code === 'string' ? { message: error.message, code } : { message: error.message }
  }
  return { message: String(error) }
}
