// OpenFeature Remote Evaluation Protocol (https://github.com/open-feature/protocol):
// single and bulk evaluation and the provider configuration. Bodies are checked here rather than
// by the route schema, because OFREP errors have their own shape ({key, errorCode, errorDetails}).

import { createHash } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type { LoadedFlag } from '../adapters/ConfigCache.ts'
import type { ErrorCode } from '../domain/flags.ts'
import { isKey } from '../domain/issues.ts'
import type { EvaluationContext } from '../domain/targeting.ts'
import type { Services } from '../Services.ts'
import { requireApiKey } from './auth.ts'
import { MAX_NESTING, nestedDeeper } from './nesting.ts'

export const OFREP_MIN_POLLING_INTERVAL_MS = 10_000

type Success = {
  key: string
  value: unknown
  reason: string
  variant?: string
  metadata: { version: number }
}
type Failure = { key: string; errorCode: ErrorCode; errorDetails: string }

const EMPTY: EvaluationContext = Object.freeze({})
const MAX_CONTEXT_KEYS = 200

// Only the success shape is declared: error replies keep whichever shape they have (OFREP's own,
// or the service's for authentication and parse errors). With it, a compiled serializer writes
// the reply instead of JSON.stringify.
const SuccessSchema = Type.Object({
  key: Type.String(),
  value: Type.Unknown(),
  reason: Type.String(),
  variant: Type.Optional(Type.String()),
  metadata: Type.Object({ version: Type.Integer() }),
})

/** The request's context, or a reason it is not acceptable. */
function contextOf(body: unknown): EvaluationContext | string {
  if (body === undefined || body === null) return EMPTY
  if (typeof body !== 'object' || Array.isArray(body)) return 'the request body must be a JSON object'
  const context = (body as { context?: unknown }).context
  if (context === undefined || context === null) return EMPTY
  if (typeof context !== 'object' || Array.isArray(context)) return 'context must be a JSON object'
  if (Object.keys(context).length > MAX_CONTEXT_KEYS)
    return `context has more than ${MAX_CONTEXT_KEYS} attributes`
  if (nestedDeeper(context, MAX_NESTING)) return `context is nested more than ${MAX_NESTING} levels deep`
  const targetingKey = (context as { targetingKey?: unknown }).targetingKey
  if (targetingKey !== undefined && typeof targetingKey !== 'string') return 'targetingKey must be a string'
  return context as EvaluationContext
}

function evaluate(key: string, loaded: LoadedFlag, context: EvaluationContext): Success | Failure {
  if (!('flag' in loaded))
    return { key, errorCode: 'PARSE_ERROR', errorDetails: 'the stored flag configuration is invalid' }
  const result = loaded.flag.evaluate(context)
  if (result.errorCode) {
    return {
      key,
      errorCode: result.errorCode,
      errorDetails:
        result.errorCode === 'TARGETING_KEY_MISSING'
          ? 'this flag needs context.targetingKey'
          : result.errorCode,
    }
  }
  return {
    key,
    value: result.value,
    reason: result.reason,
    ...(result.variant !== undefined && { variant: result.variant }),
    metadata: { version: loaded.version },
  }
}

function fail(reply: FastifyReply, status: number, failure: Failure): FastifyReply {
  return reply.code(status).send(failure)
}

export function ofrepRoutes(services: Services): FastifyPluginAsync {
  return async (app) => {
    app.addHook('onRequest', requireApiKey(services.apiKeys))

    app.post<{ Params: { key: string } }>(
      '/ofrep/v1/evaluate/flags/:key',
      { config: services.evaluationRoutes, schema: { response: { 200: SuccessSchema } } },
      async (request, reply) => {
        const { key } = request.params
        const context = contextOf(request.body)
        if (typeof context === 'string')
          return fail(reply, 400, { key, errorCode: 'INVALID_CONTEXT', errorDetails: context })
        const loaded = isKey(key) ? await services.config.flag(key) : undefined
        if (!loaded)
          return fail(reply, 404, {
            key,
            errorCode: 'FLAG_NOT_FOUND',
            errorDetails: `flag "${key}" not found`,
          })
        const result = evaluate(key, loaded, context)
        return 'errorCode' in result ? fail(reply, 400, result) : result
      },
    )

    app.post('/ofrep/v1/evaluate/flags', { config: services.evaluationRoutes }, async (request, reply) => {
      const context = contextOf(request.body)
      if (typeof context === 'string') {
        return reply.code(400).send({ errorCode: 'INVALID_CONTEXT', errorDetails: context })
      }
      const set = await services.config.flagSet()
      // The answer depends on the flags and on the context, so both are in the ETag.
      const contextHash = createHash('sha256')
        .update(JSON.stringify(context))
        .digest('base64url')
        .slice(0, 16)
      const etag = `"${set.etag}.${contextHash}"`
      reply.header('etag', etag)
      const ifNoneMatch = request.headers['if-none-match']
      if (ifNoneMatch?.split(',').some((tag) => tag.trim() === etag)) return reply.code(304).send()
      const flags: (Success | Failure)[] = []
      for (const [key, loaded] of set.flags) flags.push(evaluate(key, loaded, context))
      return { flags }
    })

    app.get('/ofrep/v1/configuration', async () => ({
      name: 'agent-sre experiments',
      capabilities: {
        cacheInvalidation: {
          polling: { enabled: true, minPollingIntervalMs: OFREP_MIN_POLLING_INTERVAL_MS },
        },
        flagEvaluation: { supportedTypes: ['boolean', 'string', 'integer', 'float', 'object'] },
      },
    }))
  }
}
