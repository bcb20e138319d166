import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Histogram, type Registry } from 'prom-client'
import { HistogramSeries } from './HistogramSeries.ts'
import { unsheddableRouteConfig } from './ProbeRoute.ts'
import { routeInfo } from './RouteInfo.ts'

export { UNMATCHED_ROUTE } from './RouteInfo.ts'
export const HTTP_DURATION_METRIC = 'agentsre_http_request_duration_seconds'

export interface MetricsOptions {
  registry: Registry
  service: string
  revision: string
}

/** `2xx` … `5xx`: errors are read from the class, and the label stays low-cardinality. */
export function statusClass(statusCode: number): string {
  return `${Math.floor(statusCode / 100)}xx`
}

/** Returns the metric already in `registry` (another app in the same process made it) or makes it. */
function requestDuration(registry: Registry): Histogram<'method' | 'route' | 'status_class'> {
  const existing = registry.getSingleMetric(HTTP_DURATION_METRIC)
  if (existing) return existing as Histogram<'method' | 'route' | 'status_class'>
  return new Histogram({
    name: HTTP_DURATION_METRIC,
    help: 'HTTP request duration by route template, method and status class',
    labelNames: ['method', 'route', 'status_class'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
}

/**
 * RED metrics for every route, labelled by the route template (`/items/:id`), never the raw URL,
 * so an id in the path cannot explode the series count; plus Node's default metrics and
 * `GET /metrics`.
 */
export const metricsPlugin = fp(
  async (app: FastifyInstance, { registry, service, revision }: MetricsOptions) => {
    // k_-prefixed: a plain `service` label would collide with the one a ServiceMonitor adds.
    registry.setDefaultLabels({ k_service: service, k_revision: revision })
    if (!registry.getSingleMetric('process_cpu_user_seconds_total'))
      collectDefaultMetrics({ register: registry })
    const duration = requestDuration(registry)

    // Label handling per request is measurable at high rates: each (route, method, status class)
    // series is made once, kept on the route's info, and observed directly (HistogramSeries).
    app.addHook('onResponse', (request, reply, done) => {
      const info = routeInfo(request)
      if (info.metrics) {
        const digit = Math.floor(reply.statusCode / 100)
        let byClass = info.series[request.method]
        if (!byClass) {
          byClass = []
          info.series[request.method] = byClass
        }
        let child = byClass[digit]
        if (!child) {
          child = new HistogramSeries(duration, {
            method: request.method,
            route: info.route,
            status_class: statusClass(reply.statusCode),
          })
          byClass[digit] = child
        }
        child.observe(reply.elapsedTime / 1000)
      }
      done()
    })

    app.get('/metrics', { config: unsheddableRouteConfig }, async (_request, reply) => {
      reply.type(registry.contentType)
      return registry.metrics()
    })
  },
  { name: '@agent-sre/service-kit/metrics' },
)
