// The same route served by createService + runServer: info-level access log to a file, RED
// metrics, tracing exported over OTLP/HTTP to the bench's sink (OTEL_EXPORTER_OTLP_ENDPOINT).
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { createService, loadConfig, runServer, ServiceConfigSchema, startTelemetry } from '../../src/index.ts'
import { itemRoute } from './route.ts'

const tracing = startTelemetry({ serviceName: 'bench-kit' })
const logDestination = pino.destination({
  dest: process.env.BENCH_LOG_FILE ?? '/dev/null',
  sync: false,
  minLength: Number(process.env.BENCH_LOG_BUFFER ?? 0),
})
const app = await runServer({
  build: () =>
    createService({
      name: 'bench-kit',
      config: loadConfig(ServiceConfigSchema),
      logDestination,
      routes: async (routes) => {
        routes.get('/items/:id', itemRoute.options, itemRoute.handler)
      },
    }),
  port: 0,
  host: '127.0.0.1',
  drainDelayMs: 0,
})
process.stderr.write(`kit target: tracing ${tracing ? 'on' : 'off'}\n`)
process.stdout.write(`listening ${(app.server.address() as AddressInfo).port}\n`)
