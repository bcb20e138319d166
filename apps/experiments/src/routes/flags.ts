// Flag evaluation, the service's own API: `POST /flags/:key/evaluate` → {enabled, variant, value, reason}.

import { ErrorBodySchema } from '@agent-sre/service-kit'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { EvaluationContext } from '../domain/targeting.ts'
import type { Services } from '../Services.ts'
import { requireApiKey } from './auth.ts'
import { UnknownError } from './errors.ts'
import { Context, FlagEvaluationResponse, Key } from './schemas.ts'

const EvaluateBody = Type.Object({ context: Type.Optional(Context) }, { additionalProperties: false })
const EMPTY: EvaluationContext = Object.freeze({})

export function flagRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addHook('onRequest', requireApiKey(services.apiKeys))

    app.post(
      '/flags/:key/evaluate',
      {
        config: services.evaluationRoutes,
        schema: {
          params: Type.Object({ key: Key }),
          body: Type.Optional(EvaluateBody),
          response: {
            200: FlagEvaluationResponse,
            400: ErrorBodySchema,
            401: ErrorBodySchema,
            403: ErrorBodySchema,
            404: ErrorBodySchema,
          },
        },
      },
      async (request) => {
        const { key } = request.params
        const loaded = await services.config.flag(key)
        if (!loaded) throw new UnknownError('Flag', key)
        // A flag stored by a release whose rules this one cannot compile.
        if (!('flag' in loaded)) {
          return {
            key,
            enabled: false,
            variant: null,
            value: null,
            reason: 'ERROR',
            errorCode: 'PARSE_ERROR',
          }
        }
        const result = loaded.flag.evaluate(request.body?.context ?? EMPTY)
        return {
          key,
          enabled: result.enabled,
          variant: result.variant ?? null,
          value: result.value,
          reason: result.reason,
          ...(result.errorCode && { errorCode: result.errorCode }),
        }
      },
    )
  }
}
