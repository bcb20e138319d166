import { Agent as HttpAgent, request as httpRequest, type RequestOptions } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { type AnyCloudEvent, toBinaryHttp } from '@agent-sre/events'
import { HttpStatusError, parseRetryAfter } from '@agent-sre/resilience'

/** A CloudEvent in its binary-mode HTTP form, as stored in the outbox and posted as is. */
export interface WireEvent {
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** Posts one stored event; resolves on 2xx, rejects with HttpStatusError or the socket's error. */
export type WireSink = (event: WireEvent, signal: AbortSignal) => Promise<void>

/** Enough of an error body to diagnose with (as resilience's throwForStatus keeps). */
const MAX_ERROR_BODY_CHARS = 4096

export function toWire(event: AnyCloudEvent): WireEvent {
  const { headers, body } = toBinaryHttp(event)
  return { headers, body: typeof body === 'string' ? body : body.toString('utf8') }
}

/**
 * The outbox's sender: node:http over keep-alive connections (at most `maxSockets`), the URL parsed
 * once. The broker ingress takes one event per POST, so this runs once per event; the global fetch
 * (undici's WHATWG Request/Response/streams) and re-encoding the event cost more CPU per call than
 * the small POST itself. Non-2xx answers become HttpStatusError with Retry-After and a bounded body,
 * so the resilience policy classifies them as it would a fetch response.
 */
export function wireSink(sinkUrl: string | URL, maxSockets: number): WireSink {
  const url = new URL(sinkUrl)
  const https = url.protocol === 'https:'
  const send = https ? httpsRequest : httpRequest
  const base: RequestOptions = {
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port,
    path: `${url.pathname}${url.search}`,
    method: 'POST',
    agent: https
      ? new HttpsAgent({ keepAlive: true, maxSockets })
      : new HttpAgent({ keepAlive: true, maxSockets }),
    ...(url.username || url.password
      ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` }
      : {}),
  }
  return (event, signal) =>
    new Promise<void>((resolve, reject) => {
      const request = send({ ...base, headers: event.headers, signal }, (response) => {
        const status = response.statusCode ?? 502
        if (status >= 200 && status < 300) {
          response.resume() // drained, so the socket goes back to the pool
          response.once('end', resolve)
          response.once('error', reject)
          return
        }
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          if (text.length < MAX_ERROR_BODY_CHARS) text += chunk
        })
        response.once('error', reject)
        response.once('end', () => {
          const retryAfterMs = parseRetryAfter(response.headers['retry-after'])
          reject(
            new HttpStatusError(status, {
              body: text.slice(0, MAX_ERROR_BODY_CHARS),
              ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
            }),
          )
        })
      })
      request.once('error', reject)
      request.end(event.body)
    })
}
