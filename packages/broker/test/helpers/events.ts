import { type AnyCloudEvent, toBinaryHttp } from '@agent-sre/events'
import { CloudEvent } from 'cloudevents'
import type { FastifyInstance } from 'fastify'

let sequence = 0

export function testEvent(type: string, extra: Record<string, unknown> = {}): AnyCloudEvent {
  sequence++
  return new CloudEvent<unknown>({
    specversion: '1.0',
    id: `evt-${process.pid}-${sequence}`,
    source: '/agent-sre/test',
    type,
    datacontenttype: 'application/json',
    data: { n: sequence },
    ...extra,
  })
}

/** Posts an event to the ingress in binary mode, as services emit. */
export async function post(app: FastifyInstance, event: AnyCloudEvent, url = '/') {
  const { headers, body } = toBinaryHttp(event)
  return app.inject({ method: 'POST', url, headers, body })
}
