import { EventTypes, makeEvent } from '@agent-sre/events'
import { openCache } from '@agent-sre/store'
import { node, tracing } from '@opentelemetry/sdk-node'
import { afterAll, expect, it } from 'vitest'
import { contextFromTraceparent } from '../src/Telemetry.ts'
import { binaryEventRequest, replyAttributes } from '../src/testing.ts'
import { buildTestService } from './helpers.ts'

const exporter = new tracing.InMemorySpanExporter()
const provider = new node.NodeTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(exporter)] })
provider.register()
afterAll(() => provider.shutdown())

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
const PARENT_SPAN = 'b7ad6b7169203331'

it('runs the handler in a span whose parent is the event traceparent, and carries its own out', async () => {
  const cache = openCache()
  const { app } = buildTestService({
    cache,
    cloudEvents: {
      handlers: {
        'agentsre.ticket.opened': async (_event, ctx) =>
          makeEvent(
            EventTypes.TicketClosed,
            { dedupKey: 'g', provider: 'local', key: 'LOCAL-1', reason: 'resolved' },
            { source: 'ticketing', correlationId: ctx.correlationId },
          ),
      },
    },
  })
  const event = makeEvent(
    EventTypes.TicketOpened,
    { dedupKey: 'g', provider: 'local', key: 'LOCAL-1', title: 't', reopened: false, kind: 'alert' },
    { source: 'ticketing', traceparent: `00-${TRACE_ID}-${PARENT_SPAN}-01` },
  )
  const response = await app.inject(binaryEventRequest(event))
  expect(response.statusCode).toBe(200)

  const span = exporter.getFinishedSpans().find((s) => s.name === 'process agentsre.ticket.opened')!
  expect(span.spanContext().traceId).toBe(TRACE_ID)
  expect(span.parentSpanContext?.spanId).toBe(PARENT_SPAN)
  expect(span.attributes['cloudevents.event_id']).toBe(event.id)
  // makeEvent took the active (handler) span: the next hop's parent is this handler.
  expect(replyAttributes(response.headers).traceparent).toBe(`00-${TRACE_ID}-${span.spanContext().spanId}-01`)
  await app.close()
  await cache.close()
})

it('ignores malformed traceparents', () => {
  expect(contextFromTraceparent('00-zz-b7ad6b7169203331-01')).toBeUndefined()
  expect(contextFromTraceparent(`00-${'0'.repeat(32)}-${PARENT_SPAN}-01`)).toBeUndefined()
  expect(contextFromTraceparent(`ff-${TRACE_ID}-${PARENT_SPAN}-01`)).toBeUndefined()
  expect(contextFromTraceparent(`00-${TRACE_ID}-${PARENT_SPAN}-01-extra`)).toBeUndefined()
  expect(contextFromTraceparent(`00-${TRACE_ID}-${PARENT_SPAN}-01`)).toBeDefined()
})
