export type { CloudEventContext, CloudEventHandler, CloudEventHandlers } from './CloudEventReceiver.ts'
export type { Env } from './Config.ts'
export { ConfigError, isConfigError, loadConfig } from './Config.ts'
export { CORRELATION_HEADER, REQUEST_ID_HEADER } from './Correlation.ts'
export type { ServiceInstance, ServiceOptions } from './CreateService.ts'
export { createService } from './CreateService.ts'
export { isDependencyOutage } from './DependencyOutage.ts'
export type { ErrorBody } from './ErrorHandler.ts'
export { ErrorBodySchema } from './ErrorHandler.ts'
export {
  DependencyUnavailableError,
  InternalError,
  InvalidCloudEventError,
  InvalidEventDataError,
  isDependencyUnavailable,
  NotFoundError,
  OverloadedError,
  UnauthorizedError,
  UnknownEventTypeError,
  ValidationError,
} from './Errors.ts'
export type { CheckOutcome, ReadinessCheck } from './Health.ts'
export type { KitCache } from './KitCache.ts'
export type { Logger, LoggerOptions } from './Logger.ts'
export { createLogger, logDestination } from './Logger.ts'
export { HTTP_DURATION_METRIC, UNMATCHED_ROUTE } from './Metrics.ts'
export { probeRouteConfig } from './ProbeRoute.ts'
export { cacheRateLimitStore } from './RateLimitStore.ts'
export { isSensitiveKey, scrub, scrubUrl } from './Redaction.ts'
export type { RunServerOptions } from './RunServer.ts'
export { closeServer, runServer } from './RunServer.ts'
export type { Secret, SecretOptions } from './Secrets.ts'
export { credentialsOf, safeEqual, secret } from './Secrets.ts'
export type { ServiceConfig } from './ServiceConfig.ts'
export { ServiceConfigSchema, SinkSettings, sinkUrlOf, storeSettings } from './ServiceConfig.ts'
export type { Count } from './Tally.ts'
export { tally, tallyEach } from './Tally.ts'
export type { TelemetryOptions } from './Telemetry.ts'
export { contextFromTraceparent, startTelemetry, stopTelemetry } from './Telemetry.ts'
export { linearRegExp, unsafeRegexReason } from './UserRegex.ts'
