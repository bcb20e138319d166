import type { FastifyReply } from 'fastify'
import type { RouteInfo } from './RouteInfo.ts'

declare module 'fastify' {
  interface FastifyRequest {
    /** One id per alert episode / business flow: `X-Correlation-ID` or the `correlationid` extension. */
    correlationId: string
    /** Per-route facts for the kit's hooks; read it through `routeInfo(request)`. */
    kitRoute: RouteInfo | null
  }
  interface FastifyContextConfig {
    /** `false` keeps the route out of the access log (probes, scrapes). */
    accessLog?: boolean
    /** `false` keeps the route out of the RED metrics. */
    metrics?: boolean
    /** Per-route override of `@fastify/under-pressure`'s handler; a no-op exempts the route. */
    pressureHandler?: (request: FastifyRequest, reply: FastifyReply, type: string, value?: number) => void
  }
  interface FastifyInstance {
    /** Flips `/readyz` to 503 so the platform stops routing here before the server closes. */
    beginDrain(): void
    readonly draining: boolean
  }
}
