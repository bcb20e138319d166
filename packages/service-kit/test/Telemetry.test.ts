import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { trace } from '@opentelemetry/api'
import { afterEach, describe, expect, it } from 'vitest'
import {
  contextFromTraceparent,
  startTelemetry,
  stopTelemetry,
  traceExporterConfig,
} from '../src/Telemetry.ts'

describe('traceExporterConfig', () => {
  it('appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT, with or without a trailing slash', () => {
    expect(traceExporterConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({
      url: 'http://collector:4318/v1/traces',
    })
    expect(traceExporterConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/otlp/' }).url).toBe(
      'http://collector:4318/otlp/v1/traces',
    )
  })

  it('takes OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is', () => {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom',
    }
    expect(traceExporterConfig(env).url).toBe('http://traces:4318/custom')
  })

  it('merges the headers, the traces-specific ones winning, values percent-decoded', () => {
    const env = {
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%20b, tenant = one,broken,=x',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'tenant=two,odd=100%',
    }
    expect(traceExporterConfig(env).headers).toEqual({ 'api-key': 'a b', tenant: 'two', odd: '100%' })
  })

  it('has no url or headers when nothing is set', () => {
    expect(traceExporterConfig({})).toEqual({})
  })
})

describe('startTelemetry({ env })', () => {
  afterEach(() => stopTelemetry())

  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT in env', () => {
    expect(startTelemetry({ serviceName: 'demo', env: {} })).toBe(false)
  })

  // Regression: the exporter read its endpoint from process.env, so an env passed in started the
  // SDK but sent the spans elsewhere (or nowhere).
  it('exports to the endpoint and with the headers of the env passed in, not process.env', async () => {
    expect(process.env.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined()
    const received: { url: string | undefined; headers: IncomingHttpHeaders }[] = []
    const collector = createServer((req, res) => {
      received.push({ url: req.url, headers: req.headers })
      req.resume()
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'))
    })
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
    try {
      const started = startTelemetry({
        serviceName: 'demo',
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
          OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=secret-1',
        },
      })
      expect(started).toBe(true)
      // A sampled remote parent, so the parent-based default sampler records the span.
      const parent = contextFromTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
      trace.getTracer('test').startSpan('work', {}, parent).end()
      await stopTelemetry()
      expect(received.map((r) => r.url)).toEqual(['/v1/traces'])
      expect(received[0]?.headers['x-api-key']).toBe('secret-1')
    } finally {
      await new Promise((resolve) => collector.close(resolve))
    }
  })
})
