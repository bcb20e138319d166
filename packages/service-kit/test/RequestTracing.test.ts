import { node, tracing } from '@opentelemetry/sdk-node'
import { afterAll, beforeEach, expect, it } from 'vitest'
import { defaultSampler, fastifyInstrumentation } from '../src/Telemetry.ts'
import { buildTestService } from './helpers.ts'

// The kit's own instrumentation and sampler, recording into memory instead of OTLP.
const exporter = new tracing.InMemorySpanExporter()
const provider = new node.NodeTracerProvider({
  sampler: defaultSampler(0),
  spanProcessors: [new tracing.SimpleSpanProcessor(exporter)],
})
provider.register()
const instrumentation = fastifyInstrumentation()
instrumentation.setTracerProvider(provider)
instrumentation.enable()
afterAll(async () => {
  instrumentation.disable()
  await provider.shutdown()
})
beforeEach(() => exporter.reset())

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const sampledParent = { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` }

function serviceWithHooks() {
  return buildTestService({
    routes: async (r) => {
      r.addHook('preHandler', async () => {})
      r.get('/items/:id', { onSend: async (_q, _r, payload) => payload }, async () => ({ ok: true }))
    },
  }).app
}

it('records one request span per sampled request: no per-hook or handler spans', async () => {
  const app = serviceWithHooks()
  const response = await app.inject({ url: '/items/7', headers: sampledParent })
  expect(response.statusCode).toBe(200)
  const spans = exporter.getFinishedSpans()
  expect(spans.map((s) => s.name)).toEqual(['request'])
  expect(spans[0]!.spanContext().traceId).toBe(TRACE_ID)
  expect(spans[0]!.attributes).toMatchObject({ 'http.route': '/items/:id', 'http.response.status_code': 200 })
  await app.close()
})

it('records nothing for an unsampled request, nor for probes and scrapes', async () => {
  const app = serviceWithHooks()
  await app.inject({ url: '/items/7' }) // a new trace, ratio 0 here
  await app.inject({ url: '/healthz', headers: sampledParent })
  await app.inject({ url: '/metrics', headers: sampledParent })
  expect(exporter.getFinishedSpans()).toEqual([])
  await app.close()
})
