import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import type { Envelope } from '../src/Envelope.ts'
import { type IngressTarget, ingressPlugin } from '../src/Ingress.ts'
import type { IngressRejection } from '../src/Metrics.ts'
import { post, testEvent } from './helpers/events.ts'

function harness() {
  const rejections: [string, IngressRejection][] = []
  const published: [string, Envelope][] = []
  const target: IngressTarget = {
    namespace: 'agent-sre',
    maxEventBytes: 1024,
    hasBroker: (broker) => broker === 'default',
    publish: async (broker, envelope) => {
      published.push([broker, envelope])
    },
    rejected: (broker, reason) => rejections.push([broker, reason]),
  }
  const app = Fastify()
  app.register(ingressPlugin(target))
  return { app, rejections, published }
}

describe('broker ingress', () => {
  it('accepts an event for a known broker', async () => {
    const { app, published } = harness()
    expect((await post(app, testEvent('agentsre.test'), '/agent-sre/default')).statusCode).toBe(202)
    expect(published.map(([broker]) => broker)).toEqual(['default'])
  })

  // Broker names come from the URL: counting each one as its own metric series would let any
  // caller grow the registry without bound.
  it.each([
    ['an unknown broker', '/agent-sre/random-1', testEvent('agentsre.test')],
    ['another namespace', '/elsewhere/random-2', testEvent('agentsre.test')],
    [
      'an oversized event to an unknown broker',
      '/agent-sre/random-3',
      testEvent('agentsre.test', { data: { big: 'x'.repeat(2048) } }),
    ],
  ])('counts a rejection for %s under one fixed broker label', async (_case, url, event) => {
    const { app, rejections } = harness()
    const res = await post(app, event, url)
    expect(res.statusCode).toBeGreaterThanOrEqual(400)
    expect(res.statusCode).toBeLessThan(500)
    expect(rejections).toHaveLength(1)
    expect(rejections[0]?.[0]).toBe('unknown')
  })

  it('refuses a malformed event with 400 and a reason, counted under its broker', async () => {
    const { app, rejections } = harness()
    const res = await app.inject({
      method: 'POST',
      url: '/agent-sre/default',
      headers: { 'content-type': 'application/json', 'ce-specversion': '1.0' },
      body: '{}',
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('AGENTSRE_INVALID_EVENT')
    expect(rejections).toEqual([['default', 'invalid']])
  })
})
