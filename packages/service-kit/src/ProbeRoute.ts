import type { FastifyContextConfig } from 'fastify'

/** Config for routes the platform calls (probes, scrapes): no access log, no RED metrics, no spans. */
export const probeRouteConfig: FastifyContextConfig = { accessLog: false, metrics: false, otel: false }

/**
 * Also exempt from load shedding: liveness must not fail under load (the pod would be restarted
 * on top of being busy), and scrapes must keep showing why it is busy.
 */
export const unsheddableRouteConfig: FastifyContextConfig = {
  ...probeRouteConfig,
  pressureHandler: () => undefined,
}
