import createError from '@fastify/error'

/** A dependency (database, cache, broker, provider) is down: 503, so the caller or broker retries. */
export const DependencyUnavailableError = createError<'AGENTSRE_DEPENDENCY_UNAVAILABLE', 503, [string]>(
  'AGENTSRE_DEPENDENCY_UNAVAILABLE',
  'Dependency unavailable: %s',
  503,
)

export const OverloadedError = createError<'AGENTSRE_OVERLOADED', 503, [string]>(
  'AGENTSRE_OVERLOADED',
  'Service overloaded (%s), retry later',
  503,
)

export const ValidationError = createError<'AGENTSRE_VALIDATION', 400, [string]>(
  'AGENTSRE_VALIDATION',
  'Invalid request: %s',
  400,
)

/** Missing or wrong credentials: 401; the caller sets `WWW-Authenticate` for the schemes it takes. */
export const UnauthorizedError = createError<'AGENTSRE_UNAUTHORIZED', 401, [string]>(
  'AGENTSRE_UNAUTHORIZED',
  '%s',
  401,
)

export const NotFoundError = createError<'AGENTSRE_NOT_FOUND', 404, [string, string]>(
  'AGENTSRE_NOT_FOUND',
  'Route %s %s not found',
  404,
)

export const InvalidCloudEventError = createError<'AGENTSRE_INVALID_CLOUDEVENT', 400, [string]>(
  'AGENTSRE_INVALID_CLOUDEVENT',
  'Invalid CloudEvent: %s',
  400,
)

export const UnknownEventTypeError = createError<'AGENTSRE_UNKNOWN_EVENT_TYPE', 400, [string]>(
  'AGENTSRE_UNKNOWN_EVENT_TYPE',
  'No handler for CloudEvent type "%s"',
  400,
)

export const InvalidEventDataError = createError<'AGENTSRE_INVALID_EVENT_DATA', 400, [string, string]>(
  'AGENTSRE_INVALID_EVENT_DATA',
  'Invalid data for CloudEvent type "%s": %s',
  400,
)

export const InternalError = createError<'AGENTSRE_INTERNAL', 500, []>(
  'AGENTSRE_INTERNAL',
  'Internal server error',
  500,
)

export function isDependencyUnavailable(
  err: unknown,
): err is InstanceType<typeof DependencyUnavailableError> {
  return err instanceof DependencyUnavailableError
}
