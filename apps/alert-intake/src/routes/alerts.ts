import { ValidationError } from '@agent-sre/service-kit'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { type AlertListRow, alertHistory, pageAlerts } from '../adapters/IntakeRepository.ts'
import { type Matcher, MatcherSyntaxError, matchesAll, parseMatcher } from '../domain/matchers.ts'
import { challengeFor, readAuthorized, refuse } from './auth.ts'
import type { IntakeContext } from './context.ts'

/** Rows read per request at most while filtering, so a selective regex cannot scan the whole table. */
const SCAN_BUDGET = 10_000

const view = (r: AlertListRow) => ({
  fingerprint: r.fingerprint,
  status: r.status,
  episodeId: r.episode_id,
  groupKey: r.group_key,
  labels: r.labels,
  annotations: r.item.alert.annotations,
  startsAt: r.item.alert.startsAt,
  endsAt: r.item.alert.endsAt,
  flapping: r.flap.flapping,
  updatedAt: new Date(r.updated_at).toISOString(),
})

export const alertRoutes: FastifyPluginAsyncTypebox<IntakeContext> = async (app, ctx) => {
  // Alert labels and annotations name hosts, customers and incidents: reading them takes a
  // credential too. Checked on request, before the query is parsed or validated.
  const challenge = challengeFor([ctx.auth.mode, ...(ctx.readAuth.token ? (['bearer'] as const) : [])])
  app.addHook('onRequest', async (request, reply) => {
    if (!readAuthorized(request, ctx.readAuth)) {
      return refuse(reply, challenge, 'missing or wrong credentials for reading alerts')
    }
  })
  app.get(
    '/alerts',
    {
      schema: {
        querystring: Type.Object({
          status: Type.Optional(Type.Union([Type.Literal('firing'), Type.Literal('resolved')])),
          filter: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 20 })])),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
          after: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}$' })),
        }),
      },
    },
    async (request) => {
      const q = request.query
      let matchers: Matcher[]
      try {
        matchers = (q.filter === undefined ? [] : Array.isArray(q.filter) ? q.filter : [q.filter]).map(
          parseMatcher,
        )
      } catch (err) {
        if (err instanceof MatcherSyntaxError) throw new ValidationError(`filter: ${err.message}`)
        throw err
      }
      // Equality on a non-empty value narrows in SQL (jsonb containment); the rest filters here.
      const contains: Record<string, string> = {}
      for (const m of matchers) if (m.op === '=' && m.value !== '') contains[m.name] = m.value
      const alerts: ReturnType<typeof view>[] = []
      let after = q.after
      let scanned = 0
      let exhausted = false
      while (alerts.length < q.limit && scanned < SCAN_BUDGET) {
        const rows = await pageAlerts(ctx.db, { status: q.status, after, contains, limit: 500 })
        for (const r of rows) {
          scanned++
          after = r.fingerprint
          if (matchesAll(matchers, r.labels)) alerts.push(view(r))
          if (alerts.length === q.limit) break
        }
        if (rows.length < 500 && alerts.length < q.limit) {
          exhausted = true
          break
        }
      }
      return { alerts, next: exhausted ? null : (after ?? null) }
    },
  )

  app.get(
    '/alerts/:fingerprint',
    {
      schema: {
        params: Type.Object({ fingerprint: Type.String({ pattern: '^[0-9a-fA-F]{16}$' }) }),
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) }),
      },
    },
    async (request, reply) => {
      const { current, history } = await alertHistory(
        ctx.db,
        request.params.fingerprint.toLowerCase(),
        request.query.limit,
      )
      if (!current) {
        return reply.code(404).send({
          statusCode: 404,
          code: 'AGENTSRE_ALERT_NOT_FOUND',
          error: 'Not Found',
          message: `no alert with fingerprint ${request.params.fingerprint}`,
          requestId: request.id,
        })
      }
      return {
        alert: view(current),
        history: history.map((h) => ({
          status: h.status,
          startsAt: new Date(h.starts_at).toISOString(),
          endsAt: h.ends_at,
          episodeId: h.episode_id,
          source: h.source,
          receivedAt: new Date(h.received_at).toISOString(),
        })),
      }
    },
  )
}
