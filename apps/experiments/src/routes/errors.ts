import type { ErrorBody } from '@agent-sre/service-kit'
import createError from '@fastify/error'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ConfigIssue } from '../domain/issues.ts'

export const UnknownError = createError<'EXPERIMENTS_NOT_FOUND', 404, [string, string]>(
  'EXPERIMENTS_NOT_FOUND',
  '%s "%s" not found',
  404,
)
export const AlreadyExistsError = createError<'EXPERIMENTS_ALREADY_EXISTS', 409, [string, string]>(
  'EXPERIMENTS_ALREADY_EXISTS',
  '%s "%s" already exists',
  409,
)
export const PreconditionRequiredError = createError<'EXPERIMENTS_PRECONDITION_REQUIRED', 428, []>(
  'EXPERIMENTS_PRECONDITION_REQUIRED',
  'If-Match with the current ETag is required to change or delete',
  428,
)
export const PreconditionFailedError = createError<'EXPERIMENTS_PRECONDITION_FAILED', 412, [string, string]>(
  'EXPERIMENTS_PRECONDITION_FAILED',
  'If-Match %s does not match the current ETag %s; re-read and retry',
  412,
)
export const UnauthorizedError = createError<'EXPERIMENTS_UNAUTHORIZED', 401, []>(
  'EXPERIMENTS_UNAUTHORIZED',
  'An API key is required (X-API-Key header or Authorization: Bearer)',
  401,
)
export const ForbiddenError = createError<'EXPERIMENTS_FORBIDDEN', 403, []>(
  'EXPERIMENTS_FORBIDDEN',
  'The API key is not valid for this API',
  403,
)

/** 400 with one detail per config problem, in the kit's error body shape. */
export function sendInvalidConfig(
  request: FastifyRequest,
  reply: FastifyReply,
  issues: ConfigIssue[],
): FastifyReply {
  const body: ErrorBody = {
    statusCode: 400,
    code: 'EXPERIMENTS_INVALID_CONFIG',
    error: 'Bad Request',
    message: `Invalid configuration: ${issues.map((i) => `${i.path || '(root)'} ${i.message}`).join('; ')}`,
    details: issues.map((i) => ({ path: `body${i.path ? `.${i.path}` : ''}`, message: i.message })),
    requestId: request.id,
  }
  return reply.code(400).send(body)
}
