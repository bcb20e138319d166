/** The part of a pino logger this package uses; a pino instance fits as is. */
export interface ResilienceLogger {
  info(fields: object, message?: string): void
  warn(fields: object, message?: string): void
}

/** Used when no logger is given: a library stays silent on stdio unless asked. */
export const silentLogger: ResilienceLogger = Object.freeze({ info() {}, warn() {} })
