// Baseline: bare Fastify answering the same routes with fixed bodies of the same shape.
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'

const app = Fastify()
const assignment = {
  experiment_id: '0b5c6f3e-2f6e-4d8e-9a51-3c1f0f6f1a11',
  experiment_key: 'checkout-button',
  variant: 'treatment',
  assignment_id: '6f1d2b1e-9c3a-4f7e-8e0d-2d4c9b7a5e21',
  timestamp: '2026-01-01T00:00:00.000Z',
  reason: 'STICKY',
}
app.get('/assign', async () => assignment)
app.post('/ofrep/v1/evaluate/flags/:key', async (request) => ({
  key: (request.params as { key: string }).key,
  value: true,
  reason: 'TARGETING_MATCH',
  variant: 'on',
  metadata: { version: 1 },
}))
await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`listening ${(app.server.address() as AddressInfo).port}\n`)
process.once('SIGTERM', () => void app.close())
