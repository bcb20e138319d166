import { STATUS_CODES } from 'node:http'
import { type Static, Type } from '@sinclair/typebox'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { isDependencyOutage } from './DependencyOutage.ts'
import { NotFoundError } from './Errors.ts'

/** The body of every error reply; routes declare it as their 4xx/5xx response schema. */
export const ErrorBodySchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
  requestId: Type.String(),
  details: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
})

export type ErrorBody = Static<typeof ErrorBodySchema>

type SchemaError = NonNullable<FastifyError['validation']>[number]

function fieldPath(context: string | undefined, error: SchemaError): string {
  const missing = (error.params as { missingProperty?: string }).missingProperty
  const pointer = missing ? `${error.instancePath}/${missing}` : error.instancePath
  return `${context ?? 'request'}${pointer}`
}

export interface ErrorHandlerOptions {
  /** `Retry-After` on a 503 for a dependency outage (unless the error set one already). */
  dependencyRetryAfterSeconds: number
}

export type ErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => ErrorBody

/**
 * 4xx: the caller can act on the message (validation errors list each failing field). 5xx: the
 * caller gets a generic message and the request id; the details go to the log only. A dependency
 * outage (store unavailable, pg/Redis connection errors) is a 503 with Retry-After, not a 500.
 */
export function createErrorHandler({ dependencyRetryAfterSeconds }: ErrorHandlerOptions): ErrorHandler {
  return (error, request, reply) => handleError(error, request, reply, dependencyRetryAfterSeconds)
}

function handleError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
  dependencyRetryAfterSeconds: number,
): ErrorBody {
  const requestId = request.id
  if (error.validation) {
    const details = error.validation.map((e) => ({
      path: fieldPath(error.validationContext, e),
      message: e.message ?? 'is invalid',
    }))
    request.log.info({ details }, 'request validation failed')
    reply.code(400)
    return {
      statusCode: 400,
      code: 'AGENTSRE_VALIDATION',
      error: STATUS_CODES[400]!,
      message: `Invalid request: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`,
      details,
      requestId,
    }
  }

  const outage = isDependencyOutage(error)
  const status = outage
    ? 503
    : error.statusCode && error.statusCode >= 400 && error.statusCode < 600
      ? error.statusCode
      : 500
  reply.code(status)
  if (outage && !reply.hasHeader('retry-after')) reply.header('retry-after', dependencyRetryAfterSeconds)
  if (status < 500) {
    request.log.info({ code: error.code, message: error.message, statusCode: status }, 'request rejected')
    return {
      statusCode: status,
      code: error.code ?? 'AGENTSRE_BAD_REQUEST',
      error: STATUS_CODES[status] ?? 'Client Error',
      message: error.message,
      requestId,
    }
  }

  const context = {
    err: error,
    method: request.method,
    route: request.routeOptions.url,
    correlationId: request.correlationId,
  }
  // 503 is an expected, retried condition (overload, a dependency down); others are bugs.
  if (status === 503) request.log.warn(context, 'service unavailable')
  else request.log.error(context, 'request failed')
  const ownCode = error.code?.startsWith('AGENTSRE_') ? error.code : undefined
  return {
    statusCode: status,
    code:
      ownCode ??
      (outage
        ? 'AGENTSRE_DEPENDENCY_UNAVAILABLE'
        : status === 503
          ? 'AGENTSRE_UNAVAILABLE'
          : 'AGENTSRE_INTERNAL'),
    error: STATUS_CODES[status] ?? 'Server Error',
    message:
      status === 503
        ? 'Service temporarily unavailable, retry later'
        : `Internal server error; quote request id ${requestId} when reporting it`,
    requestId,
  }
}

/** 404 for unknown routes, with the same body shape as every other error. */
export function notFoundHandler(request: FastifyRequest): never {
  const path = (request.url.split('?')[0] ?? '').slice(0, 200)
  throw new NotFoundError(request.method, path)
}
