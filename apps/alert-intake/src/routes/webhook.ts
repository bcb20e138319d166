import { ErrorBodySchema, safeEqual, ValidationError } from '@agent-sre/service-kit'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { FastifyRequest } from 'fastify'
import { AlertRejected, type Normalized, normalizeAlert } from '../domain/normalize.ts'
import { webhookSchema } from '../domain/webhook.ts'
import type { IntakeContext } from './context.ts'

export interface WebhookAuth {
  readonly mode: 'bearer' | 'basic' | 'none'
  readonly username: string
  /** The current token or password (re-read when its file changes). */
  readonly secret: () => string | undefined
}

/** Constant-time check of `Authorization`; the presented value never reaches a log. */
export function authorized(request: FastifyRequest, auth: WebhookAuth): boolean {
  if (auth.mode === 'none') return true
  const header = request.headers.authorization ?? ''
  const space = header.indexOf(' ')
  const scheme = header.slice(0, space).toLowerCase()
  const value = header.slice(space + 1)
  if (auth.mode === 'bearer') return scheme === 'bearer' && safeEqual(value, auth.secret())
  if (scheme !== 'basic') return false
  const decoded = Buffer.from(value, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  // Both halves compared, always, so timing does not reveal which one was wrong.
  const userOk = safeEqual(decoded.slice(0, colon), auth.username)
  const passOk = safeEqual(decoded.slice(colon + 1), auth.secret())
  return colon > 0 && userOk && passOk
}

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
          reply.header(
            'www-authenticate',
            ctx.auth.mode === 'basic' ? 'Basic realm="alert-intake"' : 'Bearer',
          )
          return reply.code(401).send({
            statusCode: 401,
            code: 'AGENTSRE_UNAUTHORIZED',
            error: 'Unauthorized',
            message: 'missing or wrong webhook credentials',
            requestId: request.id,
          })
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
