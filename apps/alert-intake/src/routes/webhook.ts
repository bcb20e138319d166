import { ErrorBodySchema, ValidationError } from '@agent-sre/service-kit'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { AlertRejected, type Normalized, normalizeAlert } from '../domain/normalize.ts'
import { webhookSchema } from '../domain/webhook.ts'
import { authorized, challengeFor, refuse } from './auth.ts'
import type { IntakeContext } from './context.ts'

export const webhookRoutes: FastifyPluginAsyncTypebox<IntakeContext> = async (app, ctx) => {
  // Checked here with a precompiled strict validator rather than as a route schema: Fastify's Ajv
  // coerces types, which would turn a numeric label into a string instead of refusing it.
  const Body = TypeCompiler.Compile(webhookSchema(ctx.maxAlertsPerWebhook))
  app.post(
    '/alertmanager',
    {
      schema: {
        response: {
          200: Type.Object({ accepted: Type.Integer(), duplicates: Type.Integer() }),
          401: ErrorBodySchema,
        },
      },
      preValidation: async (request, reply) => {
        if (!authorized(request, ctx.auth)) {
          return refuse(reply, challengeFor([ctx.auth.mode]), 'missing or wrong webhook credentials')
        }
      },
    },
    async (request) => {
      if (!Body.Check(request.body)) {
        const problems = [...Body.Errors(request.body)].slice(0, 10).map((e) => `body${e.path} ${e.message}`)
        throw new ValidationError(problems.join('; '))
      }
      const body = request.body
      const traceparent = ctx.traceparentFor(request)
      let normalized: Normalized[]
      try {
        normalized = body.alerts.map((a, i) =>
          normalizeAlert(
            a,
            {
              groupKey: body.groupKey,
              groupLabels: body.groupLabels,
              receiver: body.receiver,
              externalURL: body.externalURL,
              traceparent,
            },
            `body/alerts/${i}`,
          ),
        )
      } catch (err) {
        if (err instanceof AlertRejected) throw new ValidationError(err.message)
        throw err
      }
      const outcomes = await ctx.accept(normalized, 'alertmanager')
      const duplicates = outcomes.filter((o) => o === 'duplicate').length
      return { accepted: outcomes.length - duplicates, duplicates }
    },
  )
}
