// The baseline of the memory-backend run: bare Fastify taking the same binary-mode POSTs on the
// same path, answering 202 and sending each body with its ce-* headers to the subscriber through
// an undici Pool — two HTTP hops and nothing else (no validation, filter, queue, retry or
// metrics), so the broker's row shows what its own work costs on top. Same protocol with
// bench/run.ts as brokerProcess.ts: sends { port } once listening, closes on 'stop'.
import Fastify from 'fastify'
import { Pool } from 'undici'
import { serveBenchChild } from './benchChild.ts'

const subscriber = new Pool(process.env.SUBSCRIBER_URL!, { connections: 128 })
const app = Fastify({ logger: false, keepAliveTimeout: 30_000 })
// Every body as bytes, JSON included: a relay forwards them untouched.
app.removeAllContentTypeParsers()
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
app.post('/:namespace/:broker', async (request, reply) => {
  const headers: Record<string, string> = {}
  for (const name in request.headers) {
    const value = request.headers[name]
    if (typeof value === 'string' && (name.startsWith('ce-') || name === 'content-type'))
      headers[name] = value
  }
  subscriber.request({ path: '/', method: 'POST', headers, body: request.body as Buffer }).then(
    (response) => response.body.dump(),
    () => undefined,
  )
  return reply.code(202).send()
})
await serveBenchChild(app, () => subscriber.close())
