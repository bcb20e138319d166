import { STATUS_CODES } from 'node:http'
import { isInvalidEventError, parseHttpEvent } from '@agent-sre/events'
import type { FastifyError, FastifyPluginAsync, FastifyReply } from 'fastify'
import { isBackendUnavailableError } from './backends/Backend.ts'
import { type Envelope, envelopeFromHttp } from './Envelope.ts'
import type { IngressRejection } from './Metrics.ts'

export interface IngressTarget {
  readonly namespace: string
  readonly maxEventBytes: number
  hasBroker(broker: string): boolean
  publish(broker: string, envelope: Envelope): Promise<void>
  rejected(broker: string, reason: IngressRejection): void
}

function refuse(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ statusCode: status, code, error: STATUS_CODES[status], message })
}

/**
 * The broker ingress as a Fastify route plugin: `POST /<namespace>/<broker>` and `POST /` (the
 * default broker). Encapsulated: it reads every body as raw bytes without touching the host's parsers.
 */
export function ingressPlugin(target: IngressTarget): FastifyPluginAsync {
  return async (app) => {
    app.removeAllContentTypeParsers()
    app.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: target.maxEventBytes },
      (_request, body, done) => done(null, body),
    )
    // Broker names come from the URL; a name that is not served is counted as `unknown`, so a
    // caller cannot add metric series without bound.
    const label = (broker: string, namespace = target.namespace) =>
      namespace === target.namespace && target.hasBroker(broker) ? broker : 'unknown'

    app.setErrorHandler((error: FastifyError, request, reply) => {
      const params = request.params as { namespace?: string; broker?: string }
      const broker = label(params.broker ?? 'default', params.namespace)
      if (error.statusCode === 413) {
        target.rejected(broker, 'too_large')
        return refuse(
          reply,
          413,
          'AGENTSRE_EVENT_TOO_LARGE',
          `event larger than ${target.maxEventBytes} bytes`,
        )
      }
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
        target.rejected(broker, 'invalid')
        return refuse(reply, error.statusCode, 'AGENTSRE_INVALID_EVENT', error.message)
      }
      request.log.error({ err: error }, 'broker ingress failed')
      return refuse(reply, 500, 'AGENTSRE_INTERNAL', 'internal error')
    })

    const ingest = async (
      broker: string,
      headers: Record<string, unknown>,
      body: unknown,
      reply: FastifyReply,
    ) => {
      if (!target.hasBroker(broker)) {
        target.rejected('unknown', 'unknown_broker')
        return refuse(reply, 404, 'AGENTSRE_BROKER_NOT_FOUND', `no broker ${target.namespace}/${broker}`)
      }
      const wireHeaders = headers as Parameters<typeof parseHttpEvent>[0]
      let envelope: Envelope
      try {
        const event = parseHttpEvent(wireHeaders, (body as Buffer | undefined) ?? null)
        envelope = envelopeFromHttp(event, wireHeaders, body)
      } catch (error) {
        if (!isInvalidEventError(error)) throw error
        target.rejected(broker, 'invalid')
        return refuse(reply, 400, 'AGENTSRE_INVALID_EVENT', error.reason)
      }
      try {
        await target.publish(broker, envelope)
      } catch (error) {
        if (!isBackendUnavailableError(error)) throw error
        target.rejected(broker, error.reason)
        reply.header('retry-after', '1')
        return refuse(reply, 503, `AGENTSRE_BROKER_${error.reason.toUpperCase()}`, error.message)
      }
      return reply.code(202).send()
    }

    app.post('/', (request, reply) => ingest('default', request.headers, request.body, reply))
    app.post<{ Params: { namespace: string; broker: string } }>('/:namespace/:broker', (request, reply) => {
      if (request.params.namespace !== target.namespace) {
        target.rejected('unknown', 'unknown_broker')
        return refuse(
          reply,
          404,
          'AGENTSRE_BROKER_NOT_FOUND',
          `no broker ${request.params.namespace}/${request.params.broker}`,
        )
      }
      return ingest(request.params.broker, request.headers, request.body, reply)
    })
  }
}
