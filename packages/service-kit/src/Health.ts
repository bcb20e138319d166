import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { probeRouteConfig, unsheddableRouteConfig } from './ProbeRoute.ts'

/** A readiness check resolves when the dependency answers; it should stop work when `signal` aborts. */
export type ReadinessCheck = (signal: AbortSignal) => Promise<unknown>

export type CheckOutcome = 'ok' | 'failed' | 'timeout'

export interface HealthOptions {
  checks: Readonly<Record<string, ReadinessCheck>>
  timeoutMs: number
}

/** Runs one check, bounded by `timeoutMs`; never rejects. */
export async function runCheck(
  check: ReadinessCheck,
  timeoutMs: number,
  onError: (err: unknown) => void,
): Promise<CheckOutcome> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`readiness check timed out after ${timeoutMs} ms`))
      resolve('timeout')
    }, timeoutMs)
  })
  try {
    return await Promise.race([check(controller.signal).then((): CheckOutcome => 'ok'), timeout])
  } catch (err) {
    onError(err)
    return 'failed'
  } finally {
    clearTimeout(timer)
  }
}

/**
 * `/healthz`: liveness, the process answers (never checks dependencies, or an outage of the
 * database would restart every pod). `/readyz`: every dependency answers in time and the server
 * is not draining.
 */
export const healthPlugin = fp(
  async (app: FastifyInstance, { checks, timeoutMs }: HealthOptions) => {
    let draining = false
    app.decorate('draining', {
      getter: () => draining,
    })
    app.decorate('beginDrain', () => {
      draining = true
    })

    app.get('/healthz', { config: unsheddableRouteConfig }, async () => ({ status: 'ok' }))

    // Readiness is shed under pressure on purpose: an overloaded pod reports not-ready.
    app.get('/readyz', { config: probeRouteConfig }, async (request, reply) => {
      if (draining) return reply.code(503).send({ status: 'draining', checks: {} })
      const names = Object.keys(checks)
      const outcomes = await Promise.all(
        names.map((name) =>
          runCheck(checks[name]!, timeoutMs, (err) =>
            request.log.warn({ err, check: name }, 'readiness check failed'),
          ),
        ),
      )
      const results = Object.fromEntries(names.map((name, i) => [name, outcomes[i]]))
      const failed = names.filter((_, i) => outcomes[i] !== 'ok')
      if (failed.length > 0) {
        request.log.warn({ checks: results }, 'not ready')
        return reply.code(503).send({ status: 'unavailable', failed, checks: results })
      }
      return { status: 'ok', checks: results }
    })
  },
  { name: '@agent-sre/service-kit/health' },
)
