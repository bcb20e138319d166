import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'

/**
 * The `fetch` the outbox emitter posts events with: node:http over keep-alive connections. The
 * broker ingress takes one event per POST, so the publisher makes one request per event, and the
 * global fetch (undici's WHATWG Request/Response/streams machinery) costs more CPU per call than
 * the small POST itself — it was the largest item of the intake's profile under load.
 *
 * Only what the emitter uses: a URL, method, string-valued headers, a string or byte body and an
 * abort signal. A 2xx answer comes back without a body (the emitter discards it); any other keeps
 * its body and headers, which the error (status, Retry-After, text) is built from.
 */
export function sinkFetch(maxSockets: number): typeof fetch {
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets }),
    https: new HttpsAgent({ keepAlive: true, maxSockets }),
  }
  const send = (input: string | URL | Request, init: RequestInit = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : input)
      const https = url.protocol === 'https:'
      const request = (https ? httpsRequest : httpRequest)(
        url,
        {
          method: init.method ?? 'GET',
          headers: init.headers as Record<string, string> | undefined,
          agent: https ? agents.https : agents.http,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (response) => answer(response).then(resolve, reject),
      )
      request.once('error', reject)
      request.end(init.body as string | Uint8Array | undefined)
    })
  return send as typeof fetch
}

async function answer(response: IncomingMessage): Promise<Response> {
  const status = response.statusCode ?? 502
  if (status >= 200 && status < 300) {
    response.resume() // drained, so the socket goes back to the pool
    return new Response(null, { status })
  }
  const chunks: Buffer[] = []
  for await (const chunk of response) chunks.push(chunk as Buffer)
  const headers = new Headers()
  for (const [name, value] of Object.entries(response.headers)) {
    if (typeof value === 'string') headers.set(name, value)
  }
  return new Response(Buffer.concat(chunks), { status, headers })
}
