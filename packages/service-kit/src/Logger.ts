import { hostname } from 'node:os'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { LogController } from 'fastify'
import pino, { type DestinationStream, type Level, type Logger } from 'pino'
import { scrub } from './Redaction.ts'

export type { Logger }

export interface LoggerOptions {
  /** Knative service name (`K_SERVICE`), written on every line as `service`. */
  service: string
  /** Knative revision (`K_REVISION`), written on every line as `revision`. */
  revision: string
  level?: Level | 'silent'
  /** Where lines go; default stdout. Tests and benches pass a sink. */
  destination?: DestinationStream
}

/** A pino logger that never writes credentials and tags each line with the service and revision. */
export function createLogger({ service, revision, level = 'info', destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service, revision, hostname: hostname() },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        // Label, not number: log pipelines (Loki, Cloud Logging) match on the name.
        level: (label) => ({ level: label }),
        // Catches credentials under any key name in objects the code logs (`{ headers }`,
        // `{ token }`, `{ config }`). Requests and replies go through Fastify's serializers,
        // which never include headers.
        log: (object) => scrub(object),
      },
      serializers: { err: (err: Error) => scrub(pino.stdSerializers.err(err)) },
    },
    destination,
  )
}

/**
 * One access line per request, written when the reply is sent (instead of Fastify's two), and
 * none for routes with `config.accessLog === false` (probes, metrics scrapes).
 */
export class AccessLog extends LogController {
  override isLogDisabled(request: FastifyRequest): boolean {
    return request.routeOptions.config.accessLog === false
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return
    const line = {
      req: request,
      res: reply,
      route: request.routeOptions.url,
      responseTime: reply.elapsedTime,
    }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, 'request completed')
  }
}
