// The same route served by createService + runServer: info-level access log to a file, RED
// metrics, tracing exported over OTLP/HTTP to the bench's sink (OTEL_EXPORTER_OTLP_ENDPOINT).
import type { AddressInfo } from 'node:net'
import {
  createService,
  loadConfig,
  logDestination,
  runServer,
  ServiceConfigSchema,
  startTelemetry,
} from '../../src/index.ts'
import { itemRoute } from './route.ts'

const tracing = startTelemetry({ serviceName: 'bench-kit' })
const config = loadConfig(ServiceConfigSchema)
// The kit's own (asynchronous) destination, to a file instead of stdout.
const destination = logDestination(process.env.BENCH_LOG_FILE ?? '/dev/null')
const app = await runServer({
  build: () =>
    createService({
      name: 'bench-kit',
      config,
      logDestination: destination,
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
