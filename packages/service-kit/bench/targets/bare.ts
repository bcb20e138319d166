// Baseline: plain Fastify, no logging, metrics or tracing, the same route and schema.
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { itemRoute } from './route.ts'

const app = Fastify({ logger: false })
app.get('/items/:id', itemRoute.options, itemRoute.handler)
await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`listening ${(app.server.address() as AddressInfo).port}\n`)
process.once('SIGTERM', () => void app.close())
