import type { FastifyRequest } from 'fastify'

export const UNMATCHED_ROUTE = 'unmatched'

/** What the kit's per-request hooks need to know about a route, computed once per route. */
export interface RouteInfo {
  /** The route template (`/items/:id`), or `unmatched` for the 404 handler. */
  readonly route: string
  readonly accessLog: boolean
  readonly metrics: boolean
  /** RED histogram children by method, then status class digit (1–5); filled by the metrics hook. */
  readonly series: Record<string, ({ observe(value: number): void } | undefined)[]>
}

// Keyed by the route's config object, which Fastify keeps for the route's lifetime.
const infos = new WeakMap<object, RouteInfo>()

/**
 * The request's RouteInfo. `request.routeOptions` builds a fresh object on every read, and
 * several hooks need it per request, so the result is cached per route and on the request.
 */
export function routeInfo(request: FastifyRequest): RouteInfo {
  const cached = request.kitRoute
  if (cached) return cached
  const config = request.routeOptions.config
  let info = infos.get(config)
  if (!info) {
    info = {
      route: config.url ?? UNMATCHED_ROUTE,
      accessLog: config.accessLog !== false,
      metrics: config.metrics !== false,
      series: Object.create(null),
    }
    infos.set(config, info)
  }
  request.kitRoute = info
  return info
}
