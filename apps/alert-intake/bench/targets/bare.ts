// Baseline: plain Fastify taking the same webhook body (JSON parse, no auth, no writes).
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'

const app = Fastify({ logger: false, bodyLimit: 1_048_576 })
app.post('/alertmanager', async (request) => {
  const body = request.body as { alerts?: unknown[] }
  return { accepted: body.alerts?.length ?? 0, duplicates: 0 }
})
await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`listening ${(app.server.address() as AddressInfo).port}\n`)
process.once('SIGTERM', () => void app.close())
