/** The pino-compatible logger the broker writes to (CONTRACTS.md: `{ info, warn, error, debug, child }`). */
export interface BrokerLogger {
  info(object: object, message?: string): void
  warn(object: object, message?: string): void
  error(object: object, message?: string): void
  debug(object: object, message?: string): void
  child(bindings: Record<string, unknown>): BrokerLogger
}
