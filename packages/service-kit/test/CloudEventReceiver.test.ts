import { EventTypes, makeEvent } from '@agent-sre/events'
import { openCache } from '@agent-sre/store'
import { afterEach, describe, expect, it } from 'vitest'
import type { CloudEventHandler, CloudEventHandlers } from '../src/CloudEventReceiver.ts'
import type { ServiceInstance } from '../src/CreateService.ts'
import { DependencyUnavailableError } from '../src/Errors.ts'
import { binaryEventRequest, replyAttributes, structuredEventRequest } from '../src/testing.ts'
import { buildTestService } from './helpers.ts'

const ticket = {
  dedupKey: 'group-1',
  provider: 'local',
  key: 'LOCAL-1',
  title: 'HighErrorRate',
  reopened: false,
  kind: 'alert',
} as const

const opened = (id = 'evt-1') =>
  makeEvent(EventTypes.TicketOpened, ticket, {
    id,
    source: 'ticketing',
    correlationId: 'episode-9',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  })

let app: ServiceInstance | undefined
const cache = openCache()
afterEach(async () => {
  await app?.close()
  app = undefined
})

function receiver(handlers: CloudEventHandlers, config = {}) {
  const built = buildTestService({ cache: openCache(), cloudEvents: { handlers }, config })
  app = built.app
  return built
}

describe('CloudEvent receiver', () => {
  it('accepts binary and structured mode and answers 202 with an empty body', async () => {
    const seen: string[] = []
    receiver({
      'agentsre.ticket.opened': async (event, ctx) => {
        seen.push(`${event.id} ${event.data.key} ${ctx.correlationId}`)
        return undefined
      },
    })
    const binary = await app!.inject(binaryEventRequest(opened('b-1')))
    const structured = await app!.inject(structuredEventRequest(opened('s-1')))
    for (const response of [binary, structured]) {
      expect(response.statusCode).toBe(202)
      expect(response.body).toBe('')
    }
    expect(seen).toEqual(['b-1 LOCAL-1 episode-9', 's-1 LOCAL-1 episode-9'])
    expect(binary.headers['x-correlation-id']).toBe('episode-9')
  })

  it('answers 200 with a binary-mode reply event that continues the chain', async () => {
    receiver({
      'agentsre.ticket.opened': async (event, ctx) =>
        makeEvent(
          EventTypes.TicketUpdated,
          {
            dedupKey: 'group-1',
            provider: 'local',
            key: 'LOCAL-1',
            change: 'comment',
            summary: `seen ${event.id}`,
          },
          { source: 'ticketing', correlationId: ctx.correlationId, traceparent: ctx.traceparent },
        ),
    })
    const response = await app!.inject(binaryEventRequest(opened()))
    expect(response.statusCode).toBe(200)
    const attributes = replyAttributes(response.headers)
    expect(attributes).toMatchObject({
      specversion: '1.0',
      type: 'agentsre.ticket.updated',
      source: '/agent-sre/ticketing',
      correlationid: 'episode-9',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    })
    expect(response.headers['content-type']).toContain('application/json')
    expect(response.json()).toMatchObject({ change: 'comment', summary: 'seen evt-1' })
  })

  it('allows no other reply than an event or nothing, by type', () => {
    // @ts-expect-error a handler may not answer with a plain body
    const bad: CloudEventHandler<'agentsre.ticket.opened'> = async () => ({ ok: true })
    const good: CloudEventHandler<'agentsre.ticket.opened'> = async () => undefined
    expect([typeof bad, typeof good]).toEqual(['function', 'function'])
  })

  it.each([
    ['a missing id', { omit: ['id'] }, /missing required attribute id/],
    ['an invalid time', { override: { time: 'yesterday' } }, /time must be an RFC 3339 timestamp/],
  ])('rejects %s with 400 instead of filling it in', async (_name, options, reason) => {
    let ran = false
    receiver({
      'agentsre.ticket.opened': async () => {
        ran = true
        return undefined
      },
    })
    for (const request of [
      binaryEventRequest(opened(), options),
      structuredEventRequest(opened(), options),
    ]) {
      const response = await app!.inject(request)
      expect(response.statusCode).toBe(400)
      expect(response.json().code).toBe('AGENTSRE_INVALID_CLOUDEVENT')
      expect(response.json().message).toMatch(reason)
    }
    expect(ran).toBe(false)
  })

  it('rejects a request that is no CloudEvent at all', async () => {
    receiver({})
    const response = await app!.inject({ method: 'POST', url: '/', payload: { hello: 'world' } })
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('AGENTSRE_INVALID_CLOUDEVENT')
  })

  it('rejects a type without a handler with 400 naming the type', async () => {
    receiver({ 'agentsre.ticket.closed': async () => undefined })
    const response = await app!.inject(binaryEventRequest(opened()))
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({
      code: 'AGENTSRE_UNKNOWN_EVENT_TYPE',
      message: 'No handler for CloudEvent type "agentsre.ticket.opened"',
    })
  })

  it('rejects data that does not match the catalog schema with 400 giving the path', async () => {
    receiver({ 'agentsre.ticket.opened': async () => undefined })
    const request = binaryEventRequest(opened())
    request.payload = JSON.stringify({ ...ticket, provider: 'pagerduty' })
    const response = await app!.inject(request)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('AGENTSRE_INVALID_EVENT_DATA')
    expect(response.json().message).toContain('/provider')
  })

  it('runs a duplicate (same source and id) once, and again after the handler failed', async () => {
    let runs = 0
    let fail = true
    receiver({
      'agentsre.ticket.opened': async () => {
        runs++
        if (fail) throw new DependencyUnavailableError('database')
        return undefined
      },
    })
    const first = await app!.inject(binaryEventRequest(opened('dup-1')))
    expect(first.statusCode).toBe(503)
    fail = false
    const retry = await app!.inject(binaryEventRequest(opened('dup-1')))
    const duplicate = await app!.inject(structuredEventRequest(opened('dup-1')))
    expect([retry.statusCode, duplicate.statusCode]).toEqual([202, 202])
    expect(runs).toBe(2)
    const otherSource = makeEvent(EventTypes.TicketOpened, ticket, { id: 'dup-1', source: 'elsewhere' })
    expect((await app!.inject(binaryEventRequest(otherSource))).statusCode).toBe(202)
    expect(runs).toBe(3)
  })

  it('answers 503 when the dedup cache is down, so the broker retries', async () => {
    let ran = false
    const down = {
      ...cache,
      setIfAbsent: async (): Promise<boolean> => {
        throw new Error('ECONNREFUSED')
      },
      check: async () => {},
    }
    app = buildTestService({
      cache: down,
      cloudEvents: {
        handlers: {
          'agentsre.ticket.opened': async () => {
            ran = true
            return undefined
          },
        },
      },
    }).app
    const response = await app.inject(binaryEventRequest(opened()))
    expect(response.statusCode).toBe(503)
    expect(ran).toBe(false)
  })

  it('answers 413 above the body limit', async () => {
    receiver({ 'agentsre.ticket.opened': async () => undefined }, { BODY_LIMIT_BYTES: 256 })
    const request = binaryEventRequest(opened())
    request.payload = JSON.stringify({ ...ticket, title: 'x'.repeat(1000) })
    const response = await app!.inject(request)
    expect(response.statusCode).toBe(413)
  })

  it('refuses to build without a cache for deduplication', () => {
    const handlers: CloudEventHandlers = {}
    expect(() => buildTestService({ cloudEvents: { handlers } })).toThrow(/needs a cache/)
  })
})
