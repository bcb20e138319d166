import { context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isInvalidEventError, makeEvent, parseHttpEvent, toBinaryHttp, uuidv7 } from '../src/index.ts'
import { sampleData } from './fixtures.ts'

const firing = sampleData['agentsre.alert.firing']
const spanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
}

describe('makeEvent', () => {
  it('fills every attribute the platform relies on', () => {
    const event = makeEvent('agentsre.alert.firing', firing)
    expect(event).toMatchObject({
      specversion: '1.0',
      source: '/agent-sre/alert-intake',
      type: 'agentsre.alert.firing',
      datacontenttype: 'application/json',
      subject: 'HighErrorRate',
      partitionkey: firing.alert.fingerprint,
      data: firing,
    })
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(event.correlationid).toBe(event.id)
    expect(Date.parse(event.time!)).toBeGreaterThan(Date.now() - 5_000)
    expect(event.traceparent).toBeUndefined()
  })

  it('takes overrides from the options', () => {
    const event = makeEvent('agentsre.alert.firing', firing, {
      source: 'platform',
      id: 'fixed-id',
      time: new Date('2025-11-25T10:00:00Z'),
      subject: 'custom',
      partitionKey: 'group-1',
      correlationId: 'episode-7',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=1',
      extensions: { knativearrivaltime: '2025-11-25T10:00:01Z', priority: 3, replay: true },
    })
    expect(event).toMatchObject({
      source: '/agent-sre/platform',
      id: 'fixed-id',
      time: '2025-11-25T10:00:00.000Z',
      subject: 'custom',
      partitionkey: 'group-1',
      correlationid: 'episode-7',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=1',
      priority: 3,
      replay: true,
    })
  })

  it('takes a full URI-reference as the source unchanged', () => {
    expect(makeEvent('agentsre.alert.firing', firing, { source: 'urn:agent-sre:test' }).source).toBe(
      'urn:agent-sre:test',
    )
  })

  it('requires a source for types produced outside the platform', () => {
    expect(() => makeEvent('io.prometheus.alert.resolved', { labels: {} })).toThrow(
      'io.prometheus.alert.resolved has no default source: pass opts.source',
    )
  })

  it('refuses data that does not match the schema, naming the paths', () => {
    const data = { ...firing, alert: { ...firing.alert, fingerprint: 'nope' } }
    let error: unknown
    try {
      makeEvent('agentsre.alert.firing', data)
    } catch (err) {
      error = err
    }
    expect(isInvalidEventError(error)).toBe(true)
    expect((error as Error).message).toContain('/alert/fingerprint')
  })

  it('refuses fields outside the catalog, nested ones too', () => {
    const data = { ...firing, alert: { ...firing.alert, silenceURL: 'http://am/#/silences/1' } }
    expect(() => makeEvent('agentsre.alert.firing', data)).toThrow(/\/alert\/silenceURL/)
  })

  it('refuses invalid extension names', () => {
    expect(() => makeEvent('agentsre.alert.firing', firing, { extensions: { Bad_Name: 'x' } })).toThrow(
      /invalid extension name "Bad_Name"/,
    )
  })
})

describe('makeEvent trace context', () => {
  const manager = new AsyncLocalStorageContextManager()
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable())
  })
  afterAll(() => {
    context.disable()
  })

  it('takes traceparent from the active span', () => {
    const active = trace.setSpanContext(ROOT_CONTEXT, spanContext)
    const event = context.with(active, () => makeEvent('agentsre.alert.firing', firing))
    expect(event.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')
    // ...and it survives the wire.
    const { headers, body } = toBinaryHttp(event)
    expect(parseHttpEvent(headers, body).traceparent).toBe(event.traceparent)
  })

  it('carries an unsampled flag and the trace state', () => {
    const state = { serialize: () => 'congo=t61rcWkgMzE', get: () => undefined } as never
    const active = trace.setSpanContext(ROOT_CONTEXT, {
      ...spanContext,
      traceFlags: TraceFlags.NONE,
      traceState: state,
    })
    const event = context.with(active, () => makeEvent('agentsre.alert.firing', firing))
    expect(event.traceparent).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')
    expect(event.tracestate).toBe('congo=t61rcWkgMzE')
  })

  it('adds no traceparent outside a span, nor for an invalid span context', () => {
    expect(makeEvent('agentsre.alert.firing', firing).traceparent).toBeUndefined()
    const invalid = trace.setSpanContext(ROOT_CONTEXT, { ...spanContext, traceId: '0'.repeat(32) })
    expect(
      context.with(invalid, () => makeEvent('agentsre.alert.firing', firing)).traceparent,
    ).toBeUndefined()
  })

  it('prefers an explicit traceparent over the active span', () => {
    const active = trace.setSpanContext(ROOT_CONTEXT, spanContext)
    const explicit = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const event = context.with(active, () =>
      makeEvent('agentsre.alert.firing', firing, { traceparent: explicit }),
    )
    expect(event.traceparent).toBe(explicit)
  })
})

describe('uuidv7', () => {
  it('puts the millisecond timestamp first so ids sort by creation time', () => {
    const id = uuidv7(0x0193a1b2c3d4)
    expect(id.slice(0, 13)).toBe('0193a1b2-c3d4')
    expect(id[14]).toBe('7')
    expect(uuidv7(1) < uuidv7(2)).toBe(true)
  })
})
